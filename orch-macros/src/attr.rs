//! Reading the macro arguments (`name = "..."`, `product_type = "..."`) and the field attributes
//! (`required_from`, `renamed_from`, `items`).

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{Attribute, LitInt, LitStr};

use crate::ctxt::{Ctxt, SpanRange};

/// The lifecycle from which a field is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Provisioning,
    Active,
}

impl Stage {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Provisioning => "provisioning",
            Stage::Active => "active",
        }
    }
}

/// `#[items(min = .., max = ..)]`.
#[derive(Debug, Clone)]
pub(crate) struct Items {
    pub(crate) min: Option<u32>,
    pub(crate) max: Option<u32>,
    /// The whole attribute.
    pub(crate) span: SpanRange,
}

/// The orch attributes found on one field; everything else stays on the field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// The stage, and the whole attribute.
    pub(crate) required_from: Option<(Stage, SpanRange)>,
    pub(crate) renamed_from: Vec<LitStr>,
    pub(crate) items: Option<Items>,
    pub(crate) other: Vec<Attribute>,
}

/// A macro's arguments: the `key = "value"` pairs, and the flags given.
pub(crate) type MacroArgs = (Vec<(String, LitStr)>, Vec<String>);

/// Reads `key = "value"` pairs and bare `flags` of a macro's arguments; `keys` are the accepted
/// keys. `None` when
/// the arguments are malformed (the error is recorded), so that callers do not add follow-up
/// errors such as a missing key that was only misspelt.
pub(crate) fn macro_args(
    cx: &mut Ctxt,
    macro_name: &str,
    keys: &[&str],
    flags: &[&str],
    args: TokenStream,
) -> Option<MacroArgs> {
    let mut out: Vec<(String, LitStr)> = Vec::new();
    let mut set: Vec<String> = Vec::new();
    let all: Vec<&str> = keys.iter().chain(flags).copied().collect();
    let parser = syn::meta::parser(|meta| {
        let key = meta.path.get_ident().map(ToString::to_string);
        match key {
            Some(key) if flags.contains(&key.as_str()) => {
                if set.contains(&key) {
                    return Err(meta.error(format!("`{key}` is given twice")));
                }
                set.push(key);
                Ok(())
            }
            Some(key) if keys.contains(&key.as_str()) => {
                let value: LitStr = meta.value()?.parse()?;
                if out.iter().any(|(k, _)| *k == key) {
                    return Err(meta.error(format!("`{key}` is given twice")));
                }
                out.push((key, value));
                Ok(())
            }
            _ => {
                let key = path_text(&meta.path);
                let hint = match did_you_mean(&key, &all) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!("expected {}", expected(&all)),
                };
                Err(meta.error(format!("unknown key `{key}` for #[{macro_name}]; {hint}")))
            }
        }
    });
    match parser.parse2(args) {
        Ok(()) => Some((out, set)),
        Err(e) => {
            cx.syn_error(e);
            None
        }
    }
}

/// Splits a field's attributes into orch's and the rest, reporting malformed orch attributes.
pub(crate) fn field_attrs(cx: &mut Ctxt, attrs: Vec<Attribute>) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        let Some(name) = attr.path().get_ident().map(ToString::to_string) else {
            out.other.push(attr);
            continue;
        };
        match name.as_str() {
            "required_from" => {
                if out.required_from.is_some() {
                    cx.error_spanned_by(&attr, "`#[required_from]` is given twice on this field");
                    continue;
                }
                out.required_from = required_from(cx, &attr);
            }
            "renamed_from" => renamed_from(cx, &attr, &mut out.renamed_from),
            "items" => {
                if out.items.is_some() {
                    cx.error_spanned_by(&attr, "`#[items]` is given twice on this field");
                    continue;
                }
                out.items = items(cx, &attr);
            }
            other => {
                // `#[require_from(..)]` would otherwise reach rustc as an unknown attribute,
                // with no hint at what was meant.
                if let Some(known) =
                    did_you_mean(other, &["required_from", "renamed_from", "items"])
                {
                    cx.error_spanned_by(
                        attr.path(),
                        format!("unknown field attribute `{other}`; did you mean `{known}`?"),
                    );
                    continue;
                }
                out.other.push(attr)
            }
        }
    }
    out
}

fn required_from(cx: &mut Ctxt, attr: &Attribute) -> Option<(Stage, SpanRange)> {
    let ident: syn::Ident = match attr.parse_args() {
        Ok(ident) => ident,
        Err(_) => {
            cx.error_spanned_by(
                attr,
                "expected `#[required_from(provisioning)]` or `#[required_from(active)]`",
            );
            return None;
        }
    };
    let stage = match ident.to_string().as_str() {
        "provisioning" => Stage::Provisioning,
        "active" => Stage::Active,
        "initial" => {
            cx.error_spanned_by(
                &ident,
                "a field without `#[required_from]` is already required in every lifecycle; \
                 remove the attribute, or use `provisioning` or `active`",
            );
            return None;
        }
        "terminated" | "migrating" | "disabled" => {
            cx.error_spanned_by(
                &ident,
                format!(
                    "`{ident}` requires nothing beyond always-required fields; \
                     a field can be required from `provisioning` or `active`"
                ),
            );
            return None;
        }
        other => {
            let hint = match did_you_mean(other, &["provisioning", "active"]) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "expected `provisioning` or `active`".to_owned(),
            };
            cx.error_spanned_by(&ident, format!("unknown lifecycle `{other}`; {hint}"));
            return None;
        }
    };
    Some((stage, SpanRange::of(attr)))
}

fn renamed_from(cx: &mut Ctxt, attr: &Attribute, out: &mut Vec<LitStr>) {
    let parsed = match &attr.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Ok(vec![s.clone()]),
            other => Err(syn::Error::new_spanned(
                other,
                "expected a string: `#[renamed_from = \"old_name\"]`",
            )),
        },
        syn::Meta::List(_) => attr
            .parse_args_with(
                syn::punctuated::Punctuated::<LitStr, syn::Token![,]>::parse_terminated,
            )
            .map(|p| p.into_iter().collect()),
        syn::Meta::Path(_) => Err(syn::Error::new_spanned(
            attr,
            "expected `#[renamed_from = \"old_name\"]`",
        )),
    };
    match parsed {
        Ok(names) if names.is_empty() => {
            cx.error_spanned_by(attr, "`#[renamed_from]` needs at least one old name")
        }
        Ok(names) => {
            for n in names {
                if n.value().trim().is_empty() {
                    cx.error_spanned_by(&n, "an old name cannot be empty");
                } else {
                    out.push(n);
                }
            }
        }
        Err(e) => cx.syn_error(e),
    }
}

fn items(cx: &mut Ctxt, attr: &Attribute) -> Option<Items> {
    let mut items = Items {
        min: None,
        max: None,
        span: SpanRange::of(attr),
    };
    let result = attr.parse_nested_meta(|meta| {
        let key = meta.path.get_ident().map(ToString::to_string);
        let slot = match key.as_deref() {
            Some("min") => &mut items.min,
            Some("max") => &mut items.max,
            _ => {
                let key = path_text(&meta.path);
                let hint = match did_you_mean(&key, &["min", "max"]) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => "expected `min` or `max`".to_owned(),
                };
                return Err(meta.error(format!("unknown key `{key}` in #[items]; {hint}")));
            }
        };
        if slot.is_some() {
            return Err(meta.error("given twice"));
        }
        let lit: LitInt = meta.value()?.parse()?;
        *slot = Some(lit.base10_parse::<u32>()?);
        Ok(())
    });
    if let Err(e) = result {
        cx.syn_error(e);
        return None;
    }
    match (items.min, items.max) {
        (None, None) => {
            cx.error_spanned_by(attr, "`#[items]` needs `min`, `max` or both");
            None
        }
        (Some(min), Some(max)) if min > max => {
            cx.error_spanned_by(
                attr,
                format!("`min = {min}` is larger than `max = {max}`: no list length fits both"),
            );
            None
        }
        (_, Some(0)) => {
            cx.error_spanned_by(attr, "`max = 0` leaves no room for any item");
            None
        }
        _ => Some(items),
    }
}

pub(crate) fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The candidate closest to a misspelt `word`, if one is close enough to be the intended one.
fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two adjacent
/// characters (`nmae` is one edit from `name`), in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: distance between the first i characters of a and the first j of b
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

fn expected(keys: &[&str]) -> String {
    match keys {
        [one] => format!("`{one}`"),
        _ => keys
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_allow_one_typo_per_three_characters() {
        assert_eq!(edit_distance("nmae", "name"), 1);
        assert_eq!(edit_distance("provisoning", "provisioning"), 1);
        assert_eq!(edit_distance("", "max"), 3);
        assert_eq!(did_you_mean("nmae", &["name"]), Some("name"));
        assert_eq!(
            did_you_mean("actve", &["provisioning", "active"]),
            Some("active")
        );
        assert_eq!(did_you_mean("label", &["name"]), None);
        assert_eq!(
            did_you_mean("doc", &["required_from", "renamed_from", "items"]),
            None
        );
    }
}
