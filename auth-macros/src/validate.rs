//! Cross-key rules. The output, [`ValidatedRoute`], is the only input of generation.

use proc_macro2::Span;
use syn::Type;

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::keys;
use crate::signature::Signature;
use crate::template;

/// One route, every value checked and normalised.
pub struct ValidatedRoute {
    /// Where the attribute is, for `file!()`/`line!()` of the entry.
    pub span: Span,
    /// `Get`, `Post`, ... (the runtime's `Method` variant).
    pub method_variant: &'static str,
    /// Served path in the router's syntax, level included.
    pub path: String,
    /// The `route` value as written.
    pub route: String,
    pub level: Option<String>,
    pub params: Vec<String>,
    pub require_authentication: bool,
    pub required_scope: Option<String>,
    pub deprecated: bool,
    pub descriptive_name: Option<String>,
    /// The app state type the handler is built against, if any.
    pub state: Option<Type>,
    /// The handler takes `Option<AuthenticatedUser>`.
    pub optional_user: bool,
    /// The handler takes `Access`.
    pub access: bool,
    /// `operation_id = "..."`.
    pub operation_id: Option<String>,
    /// `status = N`: the success status.
    pub status: Option<u16>,
    /// `response = T`: the success body's type.
    pub response: Option<Type>,
}

/// Validates one attribute against the function; `None` when anything is wrong
/// (the errors are in `cx`).
pub fn validate(cx: &mut Ctxt, args: Args, sig: &Signature) -> Option<ValidatedRoute> {
    let errors_before = cx.has_errors();
    let mut failed = false;
    let mut fail = |cx: &mut Ctxt, span: Span, msg: String| {
        cx.error_at(span, msg);
        failed = true;
    };

    let route = match &args.route {
        Some(lit) => {
            let value = lit.value();
            match template::parse(&value) {
                Ok(parsed) => Some((value, parsed)),
                Err(errors) => {
                    for e in errors {
                        fail(cx, lit.span(), e);
                    }
                    None
                }
            }
        }
        None if args.report_missing_route => {
            fail(
                cx,
                args.span,
                "missing `route`, as in `#[webmethod(route = \"/models\", method = \"GET\")]`"
                    .into(),
            );
            None
        }
        None => None,
    };

    let method_variant = match &args.method {
        None => "Post", // llama-stack's default
        Some(lit) => match lit.value().as_str() {
            "GET" => "Get",
            "POST" => "Post",
            "PUT" => "Put",
            "PATCH" => "Patch",
            "DELETE" => "Delete",
            other => {
                let msg = match keys::nearest(other, keys::METHODS) {
                    Some(hint) => format!("unknown method `{other}`; did you mean `{hint}`?"),
                    None => format!(
                        "unknown method `{other}`; expected one of: {}",
                        keys::METHODS.join(", ")
                    ),
                };
                fail(cx, lit.span(), msg);
                "Post"
            }
        },
    };

    let level = args.level.as_ref().and_then(|lit| {
        let value = lit.value();
        match template::check_level(&value) {
            Ok(()) => Some(value),
            Err(e) => {
                fail(cx, lit.span(), e);
                None
            }
        }
    });

    let require_authentication = args.require_authentication.as_ref().is_none_or(|b| b.value);

    let required_scope = args.required_scope.as_ref().and_then(|lit| {
        let value = lit.value();
        if let Some(msg) = scope_problem(&value) {
            fail(cx, lit.span(), msg);
            return None;
        }
        if !require_authentication {
            fail(
                cx,
                lit.span(),
                "`required_scope` needs an authenticated caller, but this route sets `require_authentication = false`".into(),
            );
        }
        Some(value)
    });

    if !require_authentication {
        for span in &sig.authenticated_user {
            fail(
                cx,
                *span,
                "this route is public (`require_authentication = false`), so `AuthenticatedUser` could never be extracted; take `Option<AuthenticatedUser>`".into(),
            );
        }
    }

    let descriptive_name = args.descriptive_name.as_ref().and_then(|lit| {
        let value = lit.value();
        if value.trim().is_empty() {
            fail(
                cx,
                lit.span(),
                "`descriptive_name` must not be empty".into(),
            );
            None
        } else {
            Some(value)
        }
    });

    let operation_id = args.operation_id.as_ref().and_then(|lit| {
        let value = lit.value();
        let ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if ok {
            Some(value)
        } else {
            fail(
                cx,
                lit.span(),
                "`operation_id` must be a non-empty name of ASCII letters, digits, `_`, `-` and `.`".into(),
            );
            None
        }
    });

    let status = args
        .status
        .as_ref()
        .and_then(|lit| match lit.base10_parse::<u16>() {
            Ok(code) if (100..=599).contains(&code) => Some(code),
            _ => {
                fail(
                    cx,
                    lit.span(),
                    "`status` must be an HTTP status code, from 100 to 599".into(),
                );
                None
            }
        });

    if failed || errors_before {
        return None;
    }
    let (route, parsed) = route?;
    Some(ValidatedRoute {
        span: args.span,
        method_variant,
        path: template::served(level.as_deref(), &parsed.router_path),
        route,
        level,
        params: parsed.params,
        require_authentication,
        required_scope,
        deprecated: args.deprecated.as_ref().is_some_and(|b| b.value),
        descriptive_name,
        state: args.state.or_else(|| sig.state.clone()),
        optional_user: sig.optional_user,
        access: sig.access,
        operation_id,
        status,
        response: args.response,
    })
}

/// Scopes are OAuth2 scope tokens (RFC 6749 3.3): printable ASCII, no space,
/// no `"` or `\`, and not empty.
fn scope_problem(scope: &str) -> Option<String> {
    if scope.is_empty() {
        return Some("`required_scope` must not be empty".into());
    }
    scope
        .chars()
        .find(|c| !matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
        .map(|bad| {
            format!(
                "malformed scope `{}`: character `{}` is not allowed (a scope is one token of printable ASCII without spaces, `\"` or `\\`)",
                scope.escape_default(),
                bad.escape_default()
            )
        })
}
