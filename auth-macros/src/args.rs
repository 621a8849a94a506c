//! Parse `key = value, ...` into typed, spanned values. Each key keeps its own
//! token so "repeated key" and type errors point at the right place.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Ident, LitBool, LitInt, LitStr, Token, Type};

use crate::ctxt::Ctxt;
use crate::keys;

/// One `#[webmethod(...)]`, parsed but not yet cross-checked.
pub struct Args {
    /// Span of the whole argument list, for errors about a missing key.
    pub span: Span,
    pub route: Option<LitStr>,
    pub method: Option<LitStr>,
    pub level: Option<LitStr>,
    pub require_authentication: Option<LitBool>,
    pub required_scope: Option<LitStr>,
    pub deprecated: Option<LitBool>,
    pub descriptive_name: Option<LitStr>,
    pub state: Option<Type>,
    pub operation_id: Option<LitStr>,
    pub status: Option<LitInt>,
    pub response: Option<Type>,
    /// False when `route` was written with a bad value or the list could not be
    /// read: that error is already reported, so "missing `route`" would be noise.
    pub report_missing_route: bool,
}

/// A raw `key = <tokens>` pair; the value is interpreted per key afterwards.
struct RawPair {
    key: Ident,
    eq: Option<Token![=]>,
    value: TokenStream,
}

struct RawPairs(Vec<RawPair>);

impl Parse for RawPairs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut pairs = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            let eq: Option<Token![=]> = input.parse()?;
            // A type may hold commas (`HashMap<K, V>`), so `state` and
            // `response` read a whole type.
            let value = if (key == keys::STATE || key == keys::RESPONSE)
                && eq.is_some()
                && type_then_end(input)
            {
                input.parse::<Type>()?.into_token_stream()
            } else {
                let mut value = TokenStream::new();
                while !input.is_empty() && !input.peek(Token![,]) {
                    let tt: TokenTree = input.parse()?;
                    value.extend(std::iter::once(tt));
                }
                value
            };
            pairs.push(RawPair { key, eq, value });
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(RawPairs(pairs))
    }
}

/// A type comes next, followed by `,` or the end of the list.
fn type_then_end(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.parse::<Type>().is_ok() && (fork.is_empty() || fork.peek(Token![,]))
}

/// Parses the attribute arguments, recording every problem in `cx`.
pub fn parse(cx: &mut Ctxt, tokens: TokenStream, span: Span) -> Args {
    let mut args = Args {
        span,
        route: None,
        method: None,
        level: None,
        require_authentication: None,
        required_scope: None,
        deprecated: None,
        descriptive_name: None,
        state: None,
        operation_id: None,
        status: None,
        response: None,
        report_missing_route: true,
    };
    let pairs = match RawPairs::parse.parse2(tokens) {
        Ok(RawPairs(pairs)) => pairs,
        Err(e) => {
            cx.syn_error(e);
            args.report_missing_route = false;
            return args;
        }
    };
    for pair in pairs {
        let name = pair.key.to_string();
        if name == keys::ROUTE {
            args.report_missing_route = false;
        }
        let Some(eq) = pair.eq else {
            cx.error_spanned_by(&pair.key, format!("expected `{name} = ...`"));
            continue;
        };
        if pair.value.is_empty() {
            cx.error_spanned_by(eq, format!("expected a value after `{name} =`"));
            continue;
        }
        match name.as_str() {
            keys::ROUTE => set(str_lit(cx, &pair), cx, &pair.key, &mut args.route),
            keys::METHOD => set(str_lit(cx, &pair), cx, &pair.key, &mut args.method),
            keys::LEVEL => set(str_lit(cx, &pair), cx, &pair.key, &mut args.level),
            keys::REQUIRE_AUTHENTICATION => set(
                bool_lit(cx, &pair),
                cx,
                &pair.key,
                &mut args.require_authentication,
            ),
            keys::REQUIRED_SCOPE => {
                set(str_lit(cx, &pair), cx, &pair.key, &mut args.required_scope)
            }
            keys::DEPRECATED => set(bool_lit(cx, &pair), cx, &pair.key, &mut args.deprecated),
            keys::DESCRIPTIVE_NAME => set(
                str_lit(cx, &pair),
                cx,
                &pair.key,
                &mut args.descriptive_name,
            ),
            keys::STATE => {
                let ty = one_value(
                    cx,
                    &pair,
                    "expected a type, as in `state = AppState`".into(),
                );
                set(ty, cx, &pair.key, &mut args.state)
            }
            keys::OPERATION_ID => set(str_lit(cx, &pair), cx, &pair.key, &mut args.operation_id),
            keys::STATUS => {
                let status = one_value(
                    cx,
                    &pair,
                    "`status` expects an integer literal, as in `status = 201`".into(),
                );
                set(status, cx, &pair.key, &mut args.status)
            }
            keys::RESPONSE => {
                let ty = one_value(
                    cx,
                    &pair,
                    "expected a type, as in `response = Model`".into(),
                );
                set(ty, cx, &pair.key, &mut args.response)
            }
            _ => {
                let msg = match keys::nearest(&name, keys::ALL) {
                    Some(hint) => format!("unknown key `{name}`; did you mean `{hint}`?"),
                    None => format!(
                        "unknown key `{name}`; expected one of: {}",
                        keys::ALL.join(", ")
                    ),
                };
                cx.error_spanned_by(&pair.key, msg);
            }
        }
    }
    args
}

/// Stores a key's value; a second occurrence is an error on the repeated key.
fn set<T>(value: Option<T>, cx: &mut Ctxt, key: &Ident, slot: &mut Option<T>) {
    let Some(value) = value else { return };
    if slot.is_some() {
        cx.error_spanned_by(key, format!("repeated key `{key}`"));
    } else {
        *slot = Some(value);
    }
}

fn str_lit(cx: &mut Ctxt, pair: &RawPair) -> Option<LitStr> {
    let msg = format!(
        "`{}` expects a string literal, as in `{} = \"...\"`",
        pair.key, pair.key
    );
    one_value(cx, pair, msg)
}

fn bool_lit(cx: &mut Ctxt, pair: &RawPair) -> Option<LitBool> {
    one_value(
        cx,
        pair,
        format!("`{}` expects `true` or `false`", pair.key),
    )
}

/// The value as exactly one `T`, else `msg` on the value. A good `T` followed by
/// more tokens is almost always a missing comma: say that, on the first extra token.
fn one_value<T: Parse>(cx: &mut Ctxt, pair: &RawPair, msg: String) -> Option<T> {
    let value_then_rest =
        |input: ParseStream| Ok((input.parse::<T>()?, input.parse::<TokenStream>()?));
    match value_then_rest.parse2(pair.value.clone()) {
        Ok((value, rest)) => {
            if let Some(extra) = rest.into_iter().next() {
                cx.error_spanned_by(
                    extra,
                    format!("expected `,` after the value of `{}`", pair.key),
                );
            }
            Some(value)
        }
        Err(_) => {
            cx.error_spanned_by(&pair.value, msg);
            None
        }
    }
}
