//! Route templates, as the `#[webmethod]` macro parses them (its parser is
//! included from the macro crate: a proc-macro crate exports no functions).
//! A template the macro accepts is one the runtime's router accepts, and a
//! path built from it matches it with the parameters it was built from.
#![no_main]

#[path = "../../auth-macros/src/template.rs"]
#[allow(dead_code)]
mod template;

use libfuzzer_sys::fuzz_target;

// The input: `template NUL level NUL value NUL value ...`, UTF-8; an empty
// level is none.
fuzz_target!(|data: &[u8]| {
    let Ok(data) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = data.split('\0');
    let text = parts.next().unwrap_or_default();
    let level = parts.next().filter(|l| !l.is_empty());
    let values: Vec<&str> = parts.collect();
    let Ok(route) = template::parse(text) else {
        return;
    };
    let served = match level {
        Some(level) if template::check_level(level).is_ok() => template::served(Some(level), &route.router_path),
        Some(_) => return,
        None => route.router_path.clone(),
    };
    let mut router = matchit::Router::new();
    router
        .insert(served.clone(), ())
        .unwrap_or_else(|e| panic!("the router refuses {served:?} from {text:?}: {e}"));

    // A concrete path: each parameter replaced by a value it may hold (one
    // non-empty segment; a `{*rest}` may hold `/`).
    let mut path = served.clone();
    let mut expected = Vec::new();
    for (i, name) in route.params.iter().enumerate() {
        let mut value = values.get(i).copied().unwrap_or("x").to_owned();
        let catch_all = format!("{{*{name}}}");
        let (pattern, fits) = if path.contains(&catch_all) {
            (catch_all, !value.is_empty() && !value.starts_with('/'))
        } else {
            (format!("{{{name}}}"), !value.is_empty() && !value.contains('/'))
        };
        if !fits || value.contains(['{', '}']) {
            value = "x".into();
        }
        path = path.replacen(&pattern, &value, 1);
        expected.push((name.clone(), value));
    }
    let Ok(found) = router.at(&path) else {
        panic!("{path:?} does not match {served:?} (from {text:?})");
    };
    let got: Vec<(String, String)> = found
        .params
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(got, expected, "{path:?} against {served:?}");
});
