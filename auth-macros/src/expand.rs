//! Generation: the user's function, unchanged, plus one registry entry per route.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Item, ItemFn, Meta};

use crate::ctxt::Ctxt;
use crate::describe::{self, Description, Output};
use crate::validate::ValidatedRoute;
use crate::{args, runtime_path, signature, validate};

/// Entry point: `attr` is this attribute's arguments, `item` what it is on.
pub fn webmethod(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let mut func = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(func)) => func,
        Ok(other) => {
            cx.error_at(
                item_keyword_span(&other),
                "#[webmethod] can only be used on an `async fn`",
            );
            return with_errors(cx, item);
        }
        Err(e) => {
            // Not an item we understand: let rustc report it, plus our error.
            cx.syn_error(e);
            return with_errors(cx, item);
        }
    };

    // Stacked attributes: this invocation takes every other `#[webmethod]` still
    // on the function, so all routes of one handler are expanded together.
    let mut all_args = vec![(attr.clone(), args_span(&attr, Span::call_site()))];
    let mut kept = Vec::with_capacity(func.attrs.len());
    for a in std::mem::take(&mut func.attrs) {
        if is_webmethod(&a) {
            match &a.meta {
                // Like the first attribute's: the argument list, not the `#`.
                Meta::List(list) => all_args.push((
                    list.tokens.clone(),
                    args_span(&list.tokens, list.path.span()),
                )),
                _ => cx.error_spanned_by(
                    &a,
                    "expected arguments, as in `#[webmethod(route = \"/models\", method = \"GET\")]`",
                ),
            }
        } else {
            kept.push(a);
        }
    }
    func.attrs = kept;

    let sig = signature::inspect(&mut cx, &func);
    let routes: Vec<ValidatedRoute> = all_args
        .into_iter()
        .filter_map(|(tokens, span)| {
            let parsed = args::parse(&mut cx, tokens, span);
            validate::validate(&mut cx, parsed, &sig)
        })
        .collect();

    if cx.has_errors() {
        // Still emit the function so its other uses do not cascade into errors.
        return with_errors(cx, quote!(#func));
    }
    let runtime = runtime_path::runtime();
    let description = describe::describe(&func);
    let entries = routes
        .iter()
        .enumerate()
        .map(|(i, route)| entry(&runtime, &func, route, i, &description));
    quote! {
        #func
        const _: () = {
            #(#entries)*
        };
    }
}

fn with_errors(cx: Ctxt, tokens: TokenStream) -> TokenStream {
    match cx.check() {
        Ok(()) => tokens,
        Err(e) => {
            let errors = e.to_compile_error();
            quote!(#errors #tokens)
        }
    }
}

/// The first token of an argument list, or `empty` when there is none.
fn args_span(args: &TokenStream, empty: Span) -> Span {
    args.clone()
        .into_iter()
        .next()
        .map_or(empty, |tt| tt.span())
}

/// `#[webmethod]`, `#[auth_runtime::webmethod]`, or a renamed path ending so.
fn is_webmethod(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "webmethod")
}

/// The span of the keyword that says what the item is (`struct`, `impl`, ...).
fn item_keyword_span(item: &Item) -> Span {
    match item {
        Item::Struct(i) => i.struct_token.span,
        Item::Enum(i) => i.enum_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(i) => i.trait_token.span,
        Item::Mod(i) => i.mod_token.span,
        Item::Const(i) => i.const_token.span,
        Item::Static(i) => i.static_token.span,
        Item::Type(i) => i.type_token.span,
        Item::Use(i) => i.use_token.span,
        Item::Union(i) => i.union_token.span,
        other => other.span(),
    }
}

/// One registry entry and the function that builds its method router.
fn entry(
    runtime: &TokenStream,
    func: &ItemFn,
    route: &ValidatedRoute,
    index: usize,
    description: &Description,
) -> TokenStream {
    let handler = &func.sig.ident;
    let handler_name = handler.to_string();
    let build = format_ident!("__webmethod_build_{}", index);
    let method = format_ident!("{}", route.method_variant);
    let path = &route.path;
    let template = &route.route;
    let level = option_str(&route.level);
    let params = &route.params;
    let require_authentication = route.require_authentication;
    let required_scope = option_str(&route.required_scope);
    let deprecated = route.deprecated;
    let descriptive_name = option_str(&route.descriptive_name);
    let optional_user = route.optional_user;
    let access = route.access;
    let private = quote!(#runtime::__private);
    let span = route.span;
    let file = quote_spanned!(span=> ::core::file!());
    let line = quote_spanned!(span=> ::core::line!());

    let doc = operation_doc(&private, route, index, &handler_name, description);

    let (state_name, build_body) = match &route.state {
        None => (
            quote!(::core::option::Option::None),
            quote_spanned! {handler.span()=>
                ::core::result::Result::Ok(
                    #private::route::<_, _, ()>(#private::Method::#method.filter(), #handler, __webmethod_pipeline),
                )
            },
        ),
        Some(state) => (
            quote!(::core::option::Option::Some(::core::stringify!(#state))),
            quote_spanned! {handler.span()=>
                let state = states.get::<#state>()?;
                ::core::result::Result::Ok(
                    #private::route::<_, _, #state>(#private::Method::#method.filter(), #handler, __webmethod_pipeline)
                        .with_state(state),
                )
            },
        ),
    };

    quote! {
        fn #build(
            states: &#private::StateMap,
            __webmethod_pipeline: ::core::option::Option<&#private::PipelineLayer>,
        ) -> ::core::result::Result<#private::MethodRouter, #private::MissingState> {
            #build_body
        }
        #private::inventory::submit! {
            #private::RouteEntry::from_parts(#private::RouteEntryParts {
                method: #private::Method::#method,
                path: #path,
                template: #template,
                level: #level,
                params: &[#(#params),*],
                require_authentication: #require_authentication,
                required_scope: #required_scope,
                deprecated: #deprecated,
                descriptive_name: #descriptive_name,
                handler: #handler_name,
                module_path: ::core::module_path!(),
                file: #file,
                line: #line,
                state: #state_name,
                optional_user: #optional_user,
                access: #access,
                doc: #doc,
                build: #build,
            })
        }
    }
}

fn option_str(value: &Option<String>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// The route's `OperationDoc`: names and texts as literals, each type's
/// schema as a function that asks the runtime's probe (so a type without
/// `JsonSchema` compiles and gets a permissive schema).
fn operation_doc(
    private: &TokenStream,
    route: &ValidatedRoute,
    index: usize,
    handler: &str,
    d: &Description,
) -> TokenStream {
    // Routes stacked on one handler: `name`, `name_2`, `name_3`, ...
    let operation_id = route.operation_id.clone().unwrap_or_else(|| {
        if index == 0 {
            handler.to_owned()
        } else {
            format!("{handler}_{}", index + 1)
        }
    });
    let summary = option_str(&d.summary);
    let description = option_str(&d.description);
    let schema = |ty: &syn::Type| {
        quote! {{
            fn schema(generator: &mut #private::SchemaGenerator) -> ::core::option::Option<#private::Schema> {
                #[allow(unused_imports)]
                use #private::{WithSchema as _, WithoutSchema as _};
                ((&#private::Probe::<#ty>::NEW).schema_fn())(generator)
            }
            schema as #private::SchemaFn
        }}
    };
    let option_schema = |ty: &Option<syn::Type>| match ty {
        Some(ty) => {
            let f = schema(ty);
            quote!(::core::option::Option::Some(#f))
        }
        None => quote!(::core::option::Option::None),
    };
    let path = option_schema(&d.path);
    let query = option_schema(&d.query);
    let error = option_schema(&d.error);
    let body = match &d.body {
        Some((media_type, ty)) => {
            let f = schema(ty);
            quote!(::core::option::Option::Some(#private::BodyDoc { media_type: #media_type, schema: #f }))
        }
        None => quote!(::core::option::Option::None),
    };
    let json = |ty: &syn::Type| {
        let f = schema(ty);
        quote!(#private::Content::Json(#f))
    };
    // `response = T` names the body whatever the return type says.
    let content = match (&route.response, &d.output) {
        (Some(ty), _) => json(ty),
        (None, Output::Json(ty)) => json(ty),
        (None, Output::Empty) => quote!(#private::Content::Empty),
        (None, Output::Text) => quote!(#private::Content::Text),
        (None, Output::Html) => quote!(#private::Content::Html),
        (None, Output::Unknown) => quote!(#private::Content::Unknown),
    };
    let status = match route.status.or(d.status) {
        Some(code) => quote!(::core::option::Option::Some(#code)),
        None => quote!(::core::option::Option::None),
    };
    let rejections = d.rejecting.iter().map(|ty| {
        quote! {{
            fn rejection() -> #private::Rejection {
                #[allow(unused_imports)]
                use #private::{JsonRejection as _, TextRejection as _};
                (&#private::Probe::<#ty>::NEW).rejection()
            }
            rejection as fn() -> #private::Rejection
        }}
    });
    quote! {
        #private::OperationDoc {
            operation_id: #operation_id,
            summary: #summary,
            description: #description,
            path: #path,
            query: #query,
            body: #body,
            response: #private::ResponseDoc { status: #status, content: #content },
            error: #error,
            rejections: &[#(#rejections),*],
        }
    }
}
