//! Checks on a parsed model that need no type information. Checks that do (is this field a
//! block?) are emitted as compile-time assertions by `expand`.

use std::collections::BTreeMap;

use crate::ast::{Model, ModelField, ModelKind};
use crate::ctxt::Ctxt;
use crate::types;

/// Field names that orchestrator-core's JSON (and orch's `meta` field) already use.
const RESERVED_BLOCK: &[&str] = &[
    "meta",
    "name",
    "label",
    "subscription_instance_id",
    "owner_subscription_id",
];
const RESERVED_PRODUCT: &[&str] = &[
    "meta",
    "product",
    "customer_id",
    "subscription_id",
    "description",
    "status",
    "insync",
    "start_date",
    "end_date",
    "note",
    "version",
];

/// Records every problem of `model` in `cx`.
pub(crate) fn check(cx: &mut Ctxt, model: &Model) {
    let name = model.name.value();
    if name.trim().is_empty() {
        cx.error_spanned_by(&model.name, "the name cannot be empty");
    } else if name.trim() != name {
        cx.error_spanned_by(&model.name, "the name has leading or trailing whitespace");
    }
    let reserved = match model.kind {
        ModelKind::Block => RESERVED_BLOCK,
        ModelKind::Product => RESERVED_PRODUCT,
    };
    let mut seen: BTreeMap<String, &ModelField> = BTreeMap::new();
    for f in &model.fields {
        seen.insert(f.name.clone(), f);
    }
    let mut renamed: BTreeMap<String, &ModelField> = BTreeMap::new();
    for f in &model.fields {
        if reserved.contains(&f.name.as_str()) {
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "`{}` is a reserved field name on a {}: {}",
                    f.name,
                    match model.kind {
                        ModelKind::Block => "product block",
                        ModelKind::Product => "product",
                    },
                    if f.name == "meta" {
                        "orch adds a `meta` field with the instance metadata".to_owned()
                    } else {
                        format!("orchestrator-core's JSON already has a `{}` key", f.name)
                    }
                ),
            );
        }
        let wrapped = types::unwrap(&f.ty, "Option").or_else(|| types::unwrap(&f.ty, "Vec"));
        if let Some(inner) = wrapped
            && (types::unwrap(inner, "Option").is_some() || types::unwrap(inner, "Vec").is_some())
        {
            cx.error_spanned_by(
                &f.ty,
                "`Option` and `Vec` cannot be nested: a field holds one value or block `T`, \
                 an optional one `Option<T>`, or a list `Vec<T>`",
            );
        }
        if let Some((stage, span)) = f.required_from {
            if wrapped.is_some() {
                cx.syn_error(span.error(format!(
                    "`#[required_from({})]` needs a single value or block, not an Option or Vec: \
                     write the type without the wrapper and orch makes it optional before {}",
                    stage.name(),
                    stage.name()
                )));
            } else if model.kind == ModelKind::Product && types::is_plain_value(&f.ty) {
                cx.syn_error(span.error(format!(
                    "`{}` is a fixed input: fixed inputs are set by the product and cannot \
                     depend on the lifecycle; remove `#[required_from]`",
                    f.name
                )));
            }
        }
        if model.kind == ModelKind::Product && wrapped.is_some_and(types::is_plain_value) {
            cx.error_spanned_by(
                &f.ty,
                format!(
                    "fixed input `{}` must be a single value: a product's fixed inputs cannot be \
                     `Option` or `Vec` (only root blocks can)",
                    f.name
                ),
            );
        }
        if let Some(items) = &f.items
            && (types::unwrap(&f.ty, "Option").is_some() || types::is_plain_value(&f.ty))
        {
            cx.syn_error(items.span.error(format!(
                "`#[items]` bounds a list, but `{}` is not a `Vec<_>`",
                f.name
            )));
        }
        for old in &f.renamed_from {
            let old_name = old.value();
            if old_name == f.name {
                cx.error_spanned_by(old, format!("`{}` cannot be renamed from itself", f.name));
            } else if let Some(other) = seen.get(&old_name) {
                cx.error_spanned_by(
                    old,
                    format!(
                        "`{}` is renamed from `{old_name}`, but `{}` is still a field of this struct",
                        f.name, other.name
                    ),
                );
            } else if let Some(other) = renamed.get(&old_name) {
                cx.error_spanned_by(
                    old,
                    format!(
                        "`{old_name}` is claimed as the old name of both `{}` and `{}`",
                        other.name, f.name
                    ),
                );
            } else {
                renamed.insert(old_name, f);
            }
        }
    }
}
