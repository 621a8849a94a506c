//! Facts about the annotated function: it must be a plain `async fn`, and we
//! note its `State<T>` and `AuthenticatedUser` parameters, found by syntax.

use proc_macro2::Span;
use syn::{FnArg, GenericArgument, ItemFn, PathArguments, Type};

use crate::ctxt::Ctxt;

/// What validation and generation need to know about the handler.
pub struct Signature {
    /// `T` of the one `State<T>` parameter, if any.
    pub state: Option<Type>,
    /// Span of each parameter typed `AuthenticatedUser` (not `Option<..>`).
    pub authenticated_user: Vec<Span>,
    /// Whether a parameter is `Option<AuthenticatedUser>`: on a public route,
    /// only then is a bearer token read (optional authentication).
    pub optional_user: bool,
    /// Whether a parameter is `Access`: the runtime then hands the handler the
    /// access policy and the caller, even on a public route.
    pub access: bool,
}

/// Checks the function's shape and collects the facts above.
pub fn inspect(cx: &mut Ctxt, func: &ItemFn) -> Signature {
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        cx.error_spanned_by(sig.fn_token, "#[webmethod] handlers must be `async fn`");
    }
    // An `unsafe fn` is not a `Handler`; without this, axum's trait error on
    // generated code is all the user would see.
    if let Some(unsafety) = sig.unsafety {
        cx.error_spanned_by(unsafety, "#[webmethod] handlers cannot be `unsafe fn`");
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            "#[webmethod] handlers cannot be generic: the registry needs one concrete handler",
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            "#[webmethod] handlers cannot have a `where` clause",
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, "#[webmethod] handlers cannot be variadic");
    }

    let mut state: Option<Type> = None;
    let mut authenticated_user = Vec::new();
    let mut optional_user = false;
    let mut access = false;
    for input in &sig.inputs {
        let ty = match input {
            FnArg::Receiver(receiver) => {
                cx.error_spanned_by(
                    receiver,
                    "#[webmethod] handlers cannot take `self`; use a free function",
                );
                continue;
            }
            FnArg::Typed(pat_type) => &*pat_type.ty,
        };
        if let Some(inner) = generic_arg_of(ty, "State") {
            if state.is_some() {
                cx.error_spanned_by(
                    ty,
                    "a handler may take only one `State<_>`; derive substates with `FromRef`",
                );
            } else {
                state = Some(inner.clone());
            }
        }
        if last_ident_is(ty, "AuthenticatedUser") {
            authenticated_user.push(syn::spanned::Spanned::span(ty));
        }
        if generic_arg_of(ty, "Option").is_some_and(|t| last_ident_is(t, "AuthenticatedUser")) {
            optional_user = true;
        }
        if last_ident_is(ty, "Access") {
            access = true;
        }
    }
    Signature {
        state,
        authenticated_user,
        optional_user,
        access,
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Paren(p) => last_segment(&p.elem),
        Type::Group(g) => last_segment(&g.elem),
        _ => None,
    }
}

pub(crate) fn last_ident_is(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == name)
}

/// `T` when `ty` is `…::Name<T>`.
pub(crate) fn generic_arg_of<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    generic_args_of(ty, name).and_then(|args| args.first().copied())
}

/// The type arguments when `ty` is `…::Name<A, B, ..>`.
pub(crate) fn generic_args_of<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
    let segment = last_segment(ty).filter(|s| s.ident == name)?;
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
    )
}
