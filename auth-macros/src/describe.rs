//! What the API description needs from the handler, found by syntax: its doc
//! comment, its extractors' types and its return type. Whether a type has a
//! JSON Schema is decided by the runtime's probes (in the generated code), so
//! a handler whose types have none still compiles.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Attribute, Expr, FnArg, ItemFn, Lit, Meta, ReturnType, Type};

use crate::signature::{generic_arg_of, generic_args_of, last_ident_is};

/// The facts, before the annotation's `status` / `response` keys apply.
pub struct Description {
    pub summary: Option<String>,
    pub description: Option<String>,
    /// `T` of `Path<T>`.
    pub path: Option<Type>,
    /// `T` of `Query<T>`.
    pub query: Option<Type>,
    /// Media type and `T` of `Json<T>` / `Form<T>`.
    pub body: Option<(&'static str, Type)>,
    pub output: Output,
    /// The status the return type makes obvious (`Json<T>`: 200).
    pub status: Option<u16>,
    /// `E` of `Result<_, E>`.
    pub error: Option<Type>,
    /// The types of the extractors that can reject a request.
    pub rejecting: Vec<Type>,
}

/// The success body.
pub enum Output {
    Empty,
    Json(Box<Type>),
    Text,
    Html,
    Unknown,
}

pub fn describe(func: &ItemFn) -> Description {
    let (summary, description) = doc_comment(&func.attrs);
    let mut d = Description {
        summary,
        description,
        path: None,
        query: None,
        body: None,
        output: Output::Empty,
        status: Some(200),
        error: None,
        rejecting: Vec::new(),
    };
    for input in &func.sig.inputs {
        let FnArg::Typed(arg) = input else { continue };
        let ty = &*arg.ty;
        if has_impl_trait(ty) {
            continue;
        }
        if let Some(inner) = generic_arg_of(ty, "Path") {
            d.path = Some(inner.clone());
        } else if let Some(inner) = generic_arg_of(ty, "Query") {
            d.query = Some(inner.clone());
        } else if let Some(inner) = generic_arg_of(ty, "Json") {
            d.body = Some(("application/json", inner.clone()));
        } else if let Some(inner) = generic_arg_of(ty, "Form") {
            d.body = Some(("application/x-www-form-urlencoded", inner.clone()));
        } else {
            continue;
        }
        d.rejecting.push(ty.clone());
    }
    match &func.sig.output {
        ReturnType::Default => {}
        ReturnType::Type(_, ty) => {
            let ty = match generic_args_of(ty, "Result").as_deref() {
                Some([ok, err]) => {
                    d.error = (!has_impl_trait(err)).then(|| (*err).clone());
                    *ok
                }
                Some([ok]) => ok,
                _ => &**ty,
            };
            (d.output, d.status) = output(ty);
        }
    }
    d
}

/// The success body and the obvious status of a (non-`Result`) return type.
fn output(ty: &Type) -> (Output, Option<u16>) {
    match ty {
        Type::Tuple(t) if t.elems.is_empty() => (Output::Empty, Some(200)),
        // `(StatusCode, ..., body)`: the body is last; the status is chosen by
        // the handler unless the annotation says it.
        Type::Tuple(t) => {
            let body = t.elems.last().map_or((Output::Empty, Some(200)), output);
            let status_first = t
                .elems
                .first()
                .is_some_and(|f| last_ident_is(f, "StatusCode"));
            (body.0, if status_first { None } else { body.1 })
        }
        Type::Paren(p) => output(&p.elem),
        Type::Reference(r) if is_str(&r.elem) => (Output::Text, Some(200)),
        _ if last_ident_is(ty, "String") => (Output::Text, Some(200)),
        _ if last_ident_is(ty, "StatusCode") => (Output::Empty, None),
        _ if last_ident_is(ty, "Html") => (Output::Html, Some(200)),
        _ => match generic_arg_of(ty, "Json") {
            // `Json<impl Serialize>` has no type to ask a schema of.
            Some(inner) if !has_impl_trait(inner) => {
                (Output::Json(Box::new(inner.clone())), Some(200))
            }
            _ => (Output::Unknown, Some(200)),
        },
    }
}

/// Whether `impl Trait` appears anywhere in the type: such a type cannot
/// be named in the generated code, so it gets no schema (and the handler
/// still compiles).
fn has_impl_trait(ty: &Type) -> bool {
    fn tokens_have_impl(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(ident) => ident == "impl",
            TokenTree::Group(group) => tokens_have_impl(group.stream()),
            _ => false,
        })
    }
    tokens_have_impl(ty.to_token_stream())
}

fn is_str(ty: &Type) -> bool {
    last_ident_is(ty, "str")
}

/// Summary (the first sentence, which may wrap over lines) and description
/// (the rest) of `///` comments.
fn doc_comment(attrs: &[Attribute]) -> (Option<String>, Option<String>) {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(lit) => match &lit.lit {
                    Lit::Str(s) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .flat_map(|s| s.lines().map(str::to_owned).collect::<Vec<_>>())
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect();
    // The first sentence of the first paragraph; the rest is the description.
    let text = lines.join("\n");
    let text = text.trim();
    let paragraph_end = text.find("\n\n").unwrap_or(text.len());
    let first = &text[..paragraph_end];
    let summary_end = first
        .match_indices(". ")
        .chain(first.match_indices(".\n"))
        .map(|(i, _)| i + 1)
        .min()
        .unwrap_or(first.len());
    let summary = first[..summary_end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let summary = (!summary.is_empty()).then_some(summary);
    let description = text[summary_end..].trim().to_owned();
    (summary, (!description.is_empty()).then_some(description))
}
