//! An error accumulator, after serde_derive's `Ctxt`: every problem in a definition is reported
//! at once, each at its own span, instead of stopping at the first.

use std::fmt::Display;

use proc_macro2::{Punct, Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;

/// Collects errors while parsing and validating one macro input.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// Records an error pointing at `tokens`.
    pub(crate) fn error_spanned_by<T: ToTokens, M: Display>(&mut self, tokens: T, msg: M) {
        self.errors.push(syn::Error::new_spanned(tokens, msg));
    }

    /// Records an error that already has a span.
    pub(crate) fn syn_error(&mut self, err: syn::Error) {
        self.errors.push(err);
    }

    /// Whether anything was recorded.
    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// All recorded errors combined into one, or `Ok` when there were none.
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut errors = self.errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in errors {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}

/// The spans of the first and last token of some source text.
///
/// A proc macro on stable Rust cannot join two spans into one, and `Spanned::span` gives only the
/// first token's span (`#` of an attribute, `HashMap` of `HashMap<K, V>`). rustc joins spans
/// itself, though: an expression or type whose first token carries `first` and whose last token
/// carries `last` is reported as the whole range. Errors and generated assertions use this to
/// underline a whole attribute or type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpanRange {
    pub(crate) first: Span,
    pub(crate) last: Span,
}

impl SpanRange {
    /// The range covering `tokens`.
    pub(crate) fn of<T: ToTokens>(tokens: T) -> Self {
        let mut iter = tokens.into_token_stream().into_iter();
        let first = iter.next().map_or_else(Span::call_site, |t| t.span());
        let last = iter.last().map_or(first, |t| t.span());
        Self { first, last }
    }

    /// An error underlining the whole range.
    pub(crate) fn error<M: Display>(self, msg: M) -> syn::Error {
        let mut first = Punct::new('#', Spacing::Alone);
        first.set_span(self.first);
        let mut last = Punct::new('#', Spacing::Alone);
        last.set_span(self.last);
        let tokens: TokenStream = [TokenTree::Punct(first), TokenTree::Punct(last)]
            .into_iter()
            .collect();
        syn::Error::new_spanned(tokens, msg)
    }

    /// Generated `tokens` with every span set to `first`, except the last token's, set to `last`,
    /// so that rustc reports anything about them at this range. Not for the user's own tokens,
    /// whose spans should stay as written.
    pub(crate) fn respan(self, tokens: TokenStream) -> TokenStream {
        let mut trees: Vec<TokenTree> = tokens.into_iter().collect();
        let n = trees.len();
        for (i, tree) in trees.iter_mut().enumerate() {
            let span = if i + 1 == n { self.last } else { self.first };
            set_span(tree, span);
        }
        trees.into_iter().collect()
    }
}

/// Generated `tokens` with every span set to `span`.
pub(crate) fn respan_all(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            set_span(&mut t, span);
            t
        })
        .collect()
}

fn set_span(tree: &mut TokenTree, span: Span) {
    match tree {
        TokenTree::Group(g) => {
            let inner = respan_all(g.stream(), span);
            let mut group = proc_macro2::Group::new(g.delimiter(), inner);
            group.set_span(span);
            *g = group;
        }
        other => other.set_span(span),
    }
}
