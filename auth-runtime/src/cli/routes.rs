//! `routes`: the route table as a text table or as JSON.

use serde::Serialize;

use crate::route::registry::RouteEntry;

/// One route as `routes --format json` prints it.
#[derive(Serialize)]
struct RouteRow<'a> {
    method: &'static str,
    path: &'a str,
    template: &'a str,
    handler: &'a str,
    module_path: &'a str,
    require_authentication: bool,
    required_scope: Option<&'a str>,
    deprecated: bool,
    descriptive_name: Option<&'a str>,
    file: &'a str,
    line: u32,
}

/// A JSON array with one object per route.
pub(crate) fn render_json(entries: &[&'static RouteEntry]) -> String {
    let rows: Vec<RouteRow> = entries
        .iter()
        .map(|e| RouteRow {
            method: e.method.as_str(),
            path: e.path,
            template: e.template,
            handler: e.handler,
            module_path: e.module_path,
            require_authentication: e.require_authentication,
            required_scope: e.required_scope,
            deprecated: e.deprecated,
            descriptive_name: e.descriptive_name,
            file: e.file,
            line: e.line,
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("route rows always serialize")
}

/// An aligned text table with one line per route.
pub(crate) fn render_table(entries: &[&'static RouteEntry]) -> String {
    const HEADER: [&str; 7] = [
        "METHOD",
        "PATH",
        "HANDLER",
        "AUTH",
        "SCOPE",
        "DEPRECATED",
        "LOCATION",
    ];
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|e| {
            [
                e.method.as_str().to_owned(),
                e.path.to_owned(),
                e.handler.to_owned(),
                if e.require_authentication {
                    "required".to_owned()
                } else {
                    "public".to_owned()
                },
                e.required_scope.unwrap_or("-").to_owned(),
                if e.deprecated { "yes" } else { "no" }.to_owned(),
                e.location(),
            ]
        })
        .collect();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = HEADER.map(str::to_owned);
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
