//! The plan: the upgrade and downgrade of a set of changes as lists of [`Op`]s.
//!
//! The upgrade runs renames, then creates, per-block moves, removals, links and finally the
//! backfills that give existing subscriptions what the models now require. The downgrade
//! undoes it in reverse, and restores the metadata rows the upgrade deletes (descriptions,
//! tags, fixed-input values, links), read from the database when the migration is generated.
//! Subscription data that the upgrade deletes cannot come back; [`Plan::data_loss`] says so.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use orch_core::Cardinality;
use orch_core::migration::{Op, OwnedOp};

use crate::answers::{Answer, Answers, Key};
use crate::catalog::{Catalog, Relation};
use crate::diff::{Changes, Renames};

/// The upgrade and downgrade, and what the upgrade loses for good.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Steps of `up`.
    pub up: Vec<OwnedOp>,
    /// Steps of `down`.
    pub down: Vec<OwnedOp>,
    /// One line per kind of data the upgrade deletes and the downgrade cannot restore.
    pub data_loss: Vec<String>,
}

/// Instances and values that existing subscriptions get, computed from the changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backfills {
    /// (product, block): a new root block for every subscription of the product.
    pub roots: Vec<(String, String)>,
    /// (parent, child, field, count, reversible): children for every parent instance.
    pub children: Vec<ChildBackfill>,
    /// (block, resource type): a default value for every instance that lacks one.
    pub values: Vec<(String, String)>,
    /// (block, resource type) of optional and list fields: a value or the elements of a list
    /// for every instance that lacks one, when the answers give one.
    pub optional_values: Vec<(String, String)>,
}

/// New child instances under one field of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildBackfill {
    /// The parent block.
    pub parent: String,
    /// The child block.
    pub child: String,
    /// The parent's field.
    pub attribute: String,
    /// Children per parent.
    pub count: u32,
    /// Whether every child under this field is new, so `down` can delete them all.
    pub reversible: bool,
}

/// What existing subscriptions need after `changes`: new root and child instances, and the
/// resource types that need a default value.
pub fn backfills(
    changes: &Changes,
    desired: &Catalog,
    actual: &Catalog,
    renames: &Renames,
) -> Backfills {
    let mut out = Backfills::default();
    let populated_before: BTreeSet<&String> = desired
        .blocks
        .keys()
        .filter(|b| actual.blocks.get(*b).is_some_and(|a| a.instances > 0))
        .collect();
    let mut new_instances: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = VecDeque::new();

    for (product, block) in &changes.link_product_blocks {
        let has_subscriptions = actual
            .products
            .get(product)
            .is_some_and(|p| p.subscriptions > 0);
        let field = desired.products[product]
            .block_fields
            .iter()
            .find(|f| f.blocks.contains(block));
        if has_subscriptions
            && field.is_some_and(|f| f.blocks.len() == 1 && f.cardinality == Cardinality::One)
        {
            out.roots.push((product.clone(), block.clone()));
            if new_instances.insert(block.clone()) {
                queue.push_back(block.clone());
            }
        }
    }
    for b in &populated_before {
        queue.push_back((*b).clone());
    }

    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    while let Some(parent) = queue.pop_front() {
        let Some(block) = desired.blocks.get(&parent) else {
            continue;
        };
        let stored = actual.blocks.get(&parent);
        let renamed = renames.relation_attributes.get(&parent);
        for f in &block.block_fields {
            let count = f.backfill_count();
            if count == 0 || seen.contains(&(parent.clone(), f.name.clone())) {
                continue;
            }
            // the name existing instances store this field under, if renamed
            let stored_name = renamed
                .and_then(|m| {
                    m.iter()
                        .find(|(_, to)| **to == f.name)
                        .map(|(from, _)| from)
                })
                .unwrap_or(&f.name);
            let attr_is_new =
                !stored.is_some_and(|s| s.relation_attributes.contains_key(stored_name));
            let had_instances = populated_before.contains(&parent);
            let needed = new_instances.contains(&parent) || (had_instances && attr_is_new);
            if !needed {
                continue;
            }
            seen.insert((parent.clone(), f.name.clone()));
            let child = f.blocks[0].clone();
            out.children.push(ChildBackfill {
                parent: parent.clone(),
                child: child.clone(),
                attribute: f.name.clone(),
                count,
                reversible: !had_instances || attr_is_new,
            });
            new_instances.insert(child.clone());
            queue.push_back(child);
        }
    }

    let linked: BTreeSet<(&String, &String)> = changes
        .link_resource_types
        .iter()
        .chain(&changes.fill_resource_types)
        .map(|(b, r)| (b, r))
        .collect();
    for (name, block) in &desired.blocks {
        let gets_new = new_instances.contains(name);
        let had = populated_before.contains(name);
        if !gets_new && !had {
            continue;
        }
        for (rt, r) in &block.resource_types {
            if !gets_new && !linked.contains(&(name, rt)) {
                continue;
            }
            let fill = (name.clone(), rt.clone());
            match r.cardinality {
                Some(Cardinality::One) => out.values.push(fill),
                _ => out.optional_values.push(fill),
            }
        }
    }
    out
}

/// How many values deleting resource type `r` deletes: those the per-block replacements of
/// `changes` do not move to another resource type first.
pub fn values_deleted_with(r: &str, changes: &Changes, actual: &Catalog) -> u64 {
    let moved: u64 = changes
        .move_resource_types
        .iter()
        .filter(|(_, from, _)| from == r)
        .filter_map(|(b, _, _)| actual.blocks.get(b)?.resource_types.get(r))
        .map(|x| x.values)
        .sum();
    actual
        .resource_types
        .get(r)
        .map_or(0, |a| a.values.saturating_sub(moved))
}

/// Why a plan cannot be made from the answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A question was not answered (the caller asks every question first).
    #[error("no answer for {0}")]
    Unanswered(Key),
    /// A default given per lifecycle leaves out lifecycles that require the field.
    #[error("{key}: the lifecycles {missing} require a value too")]
    MissingLifecycles {
        /// The default's key.
        key: Key,
        /// The lifecycles without a value.
        missing: String,
    },
    /// A destructive change was answered with `false`.
    #[error("{what}: {key} is false, so nothing was generated")]
    Refused {
        /// The change.
        what: String,
        /// The confirmation key.
        key: Key,
    },
}

struct Ctx<'a> {
    answers: &'a Answers,
}

/// Every subscription lifecycle, for a field required in all of them.
const ALL_LIFECYCLES: [orch_core::SubscriptionLifecycle; 6] = orch_core::SubscriptionLifecycle::ALL;

impl Ctx<'_> {
    fn text(&self, key: Key) -> Result<String, PlanError> {
        match self.answers.get(&key) {
            Some(Answer::Text(t)) => Ok(t.clone()),
            _ => Err(PlanError::Unanswered(key)),
        }
    }

    fn text_or(&self, key: Key, default: &str) -> String {
        match self.answers.get(&key) {
            Some(Answer::Text(t)) => t.clone(),
            _ => default.to_owned(),
        }
    }

    fn confirmed(&self, key: Key, what: String) -> Result<(), PlanError> {
        match self.answers.get(&key) {
            Some(Answer::Bool(true)) => Ok(()),
            Some(_) => Err(PlanError::Refused { what, key }),
            None => Err(PlanError::Unanswered(key)),
        }
    }
}

/// The key of the confirmation that deleting every product needs: with no product registered
/// that is more often a forgotten `register_products!` than the intent.
pub fn every_product_key() -> Key {
    key(&["confirm", "delete_every_product"])
}

/// The key of the confirmation a destructive change needs, if it loses data.
pub fn confirmation(kind: &str, name: &[&str]) -> Key {
    let mut k = vec!["confirm".to_owned(), kind.to_owned()];
    k.extend(name.iter().map(|s| (*s).to_owned()));
    Key(k)
}

fn key(segments: &[&str]) -> Key {
    Key::new(segments.iter().copied())
}

/// Plans `changes` with `answers`. `desired` and `actual` give the models' fields and what the
/// database holds now (for the downgrade and the data-loss notes).
pub fn plan(
    changes: &Changes,
    answers: &Answers,
    desired: &Catalog,
    actual: &Catalog,
    renames: &Renames,
) -> Result<Plan, PlanError> {
    let cx = Ctx { answers };
    let fills = backfills(changes, desired, actual, renames);
    let data_loss = confirm_destructive(&cx, changes, desired, actual)?;
    let up = upgrade(&cx, changes, desired, &fills)?;
    let down = downgrade(changes, actual, &fills);
    Ok(Plan {
        up,
        down,
        data_loss,
    })
}

/// Checks that every change that deletes data is confirmed; returns one line per such change.
fn confirm_destructive(
    cx: &Ctx<'_>,
    changes: &Changes,
    desired: &Catalog,
    actual: &Catalog,
) -> Result<Vec<String>, PlanError> {
    let mut data_loss = Vec::new();
    if desired.products.is_empty() && !changes.delete_products.is_empty() {
        cx.confirmed(
            every_product_key(),
            format!(
                "no product is registered, so every product ({}) would be deleted",
                changes.delete_products.len()
            ),
        )?;
    }
    for p in &changes.delete_products {
        let a = &actual.products[p];
        if a.subscriptions > 0 {
            let what = format!(
                "deleting product {p:?} deletes its {} subscription(s)",
                a.subscriptions
            );
            cx.confirmed(confirmation("delete_products", &[p]), what.clone())?;
            data_loss.push(format!(
                "{what} with their instances and values; down restores the product, not them"
            ));
        }
    }
    for b in &changes.delete_blocks {
        let a = &actual.blocks[b];
        if a.instances > 0 {
            let what = format!(
                "deleting product block {b:?} deletes its {} instance(s)",
                a.instances
            );
            cx.confirmed(confirmation("delete_product_blocks", &[b]), what.clone())?;
            data_loss.push(format!(
                "{what} with their values; down restores the block, not them"
            ));
        }
    }
    for r in &changes.delete_resource_types {
        let values = values_deleted_with(r, changes, actual);
        if values > 0 {
            let what = format!("deleting resource type {r:?} deletes its {values} value(s)");
            cx.confirmed(confirmation("delete_resource_types", &[r]), what.clone())?;
            data_loss.push(format!("{what}; down restores the resource type, not them"));
        }
    }
    let deleted_resource_types: HashSet<&String> = changes.delete_resource_types.iter().collect();
    for (b, r) in &changes.unlink_resource_types {
        let values = actual.blocks[b].resource_types[r].values;
        // deleting the resource type everywhere is confirmed (and counted) once, above
        if values > 0 && !deleted_resource_types.contains(r) {
            let what = format!(
                "removing resource type {r:?} from block {b:?} deletes its {values} value(s) there"
            );
            cx.confirmed(confirmation("unlink_resource_types", &[b, r]), what.clone())?;
            data_loss.push(format!("{what}; down restores the link, not the values"));
        }
    }

    Ok(data_loss)
}

/// The upgrade: renames, product types, creates, per-block moves, unlinks, deletes, links and
/// backfills, in that order.
fn upgrade(
    cx: &Ctx<'_>,
    changes: &Changes,
    desired: &Catalog,
    fills: &Backfills,
) -> Result<Vec<OwnedOp>, PlanError> {
    let mut up: Vec<OwnedOp> = Vec::new();
    // 1. renames
    for (product, from, to) in &changes.rename_fixed_inputs {
        up.push(Op::RenameFixedInput {
            product: product.clone(),
            from: from.clone(),
            to: to.clone(),
        });
    }
    for (from, to) in &changes.rename_resource_types {
        up.push(Op::RenameResourceType {
            from: from.clone(),
            to: to.clone(),
        });
    }
    for (block, from, to) in &changes.rename_relation_attributes {
        up.push(Op::RenameRelationAttribute {
            block: block.clone(),
            from: from.clone(),
            to: to.clone(),
        });
    }
    // 2. product types
    for (product, product_type) in &changes.set_product_types {
        up.push(Op::SetProductType {
            name: product.clone(),
            product_type: product_type.clone(),
        });
    }
    // 3. creates
    for p in &changes.create_products {
        up.push(Op::CreateProduct {
            name: p.clone(),
            product_type: desired.products[p].product_type.clone(),
            description: cx.text(key(&["products", p, "description"]))?,
            tag: cx.text(key(&["products", p, "tag"]))?,
            status: cx.text_or(key(&["products", p, "status"]), "active"),
        });
    }
    for (p, fi) in &changes.create_fixed_inputs {
        up.push(Op::CreateFixedInput {
            product: p.clone(),
            name: fi.clone(),
            value: cx.text(key(&["products", p, "fixed_inputs", fi]))?,
        });
    }
    for b in &changes.create_blocks {
        up.push(Op::CreateProductBlock {
            name: b.clone(),
            description: cx.text(key(&["product_blocks", b, "description"]))?,
            tag: Some(cx.text(key(&["product_blocks", b, "tag"]))?),
            status: Some("active".to_owned()),
        });
    }
    for r in &changes.create_resource_types {
        up.push(Op::CreateResourceType {
            name: r.clone(),
            description: Some(cx.text(key(&["resource_types", r]))?),
        });
    }
    // 4. per-block replacements, while the old resource type still exists
    for (block, from, to) in &changes.move_resource_types {
        up.push(Op::MoveResourceType {
            block: block.clone(),
            from: from.clone(),
            to: to.clone(),
        });
    }
    // 5. unlinks
    for (block, rt) in &changes.unlink_resource_types {
        up.push(Op::UnlinkResourceType {
            block: block.clone(),
            resource_type: rt.clone(),
        });
    }
    for (parent, child) in &changes.unlink_block_relations {
        up.push(Op::UnlinkBlockRelation {
            in_use_by: parent.clone(),
            depends_on: child.clone(),
        });
    }
    for (product, block) in &changes.unlink_product_blocks {
        up.push(Op::UnlinkProductBlock {
            product: product.clone(),
            block: block.clone(),
        });
    }
    // 6. deletes
    for (product, fi) in &changes.delete_fixed_inputs {
        up.push(Op::DeleteFixedInput {
            product: product.clone(),
            name: fi.clone(),
        });
    }
    for p in &changes.delete_products {
        up.push(Op::DeleteProduct { name: p.clone() });
    }
    for b in &changes.delete_blocks {
        up.push(Op::DeleteProductBlock { name: b.clone() });
    }
    for r in &changes.delete_resource_types {
        up.push(Op::DeleteResourceType { name: r.clone() });
    }
    // 7. links
    for (product, block) in &changes.link_product_blocks {
        up.push(Op::LinkProductBlock {
            product: product.clone(),
            block: block.clone(),
        });
    }
    for (parent, child, rel) in &changes.link_block_relations {
        up.push(Op::LinkBlockRelation {
            in_use_by: parent.clone(),
            depends_on: child.clone(),
            min: rel.min,
            max: rel.max,
        });
    }
    for (parent, child, _, rel) in &changes.set_relation_bounds {
        up.push(Op::SetBlockRelationBounds {
            in_use_by: parent.clone(),
            depends_on: child.clone(),
            min: rel.min,
            max: rel.max,
        });
    }
    for (block, rt) in &changes.link_resource_types {
        up.push(Op::LinkResourceType {
            block: block.clone(),
            resource_type: rt.clone(),
        });
    }
    // 8. backfills
    for (product, block) in &fills.roots {
        up.push(Op::BackfillRootInstances {
            product: product.clone(),
            block: block.clone(),
        });
    }
    for c in &fills.children {
        up.push(Op::BackfillChildInstances {
            parent: c.parent.clone(),
            child: c.child.clone(),
            attribute: c.attribute.clone(),
            count: c.count,
        });
    }
    for (block, rt) in &fills.values {
        let k = key(&["product_blocks", block, "defaults", rt]);
        let requiring =
            crate::questions::requiring(desired.blocks[block].resource_types[rt].required_from);
        match (cx.answers.get(&k), requiring) {
            // a value per lifecycle: each lifecycle named gets its value, the rest none
            (Some(Answer::PerLifecycle(values)), requiring) => {
                let needed = requiring.unwrap_or_else(|| ALL_LIFECYCLES.to_vec());
                let missing: Vec<&str> = needed
                    .iter()
                    .map(|l| l.as_str())
                    .filter(|l| !values.contains_key(*l))
                    .collect();
                if !missing.is_empty() {
                    return Err(PlanError::MissingLifecycles {
                        key: k,
                        missing: missing.join(", "),
                    });
                }
                let mut by_value: BTreeMap<&String, Vec<String>> = BTreeMap::new();
                for (lifecycle, value) in values {
                    by_value.entry(value).or_default().push(lifecycle.clone());
                }
                for (value, lifecycles) in by_value {
                    up.push(Op::BackfillValueIn {
                        block: block.clone(),
                        resource_type: rt.clone(),
                        value: value.clone(),
                        lifecycles,
                    });
                }
            }
            // one value, for the lifecycles that require the field
            (_, Some(lifecycles)) => up.push(Op::BackfillValueIn {
                block: block.clone(),
                resource_type: rt.clone(),
                value: cx.text(k)?,
                lifecycles: lifecycles.iter().map(|l| l.as_str().to_owned()).collect(),
            }),
            (_, None) => up.push(Op::BackfillValue {
                block: block.clone(),
                resource_type: rt.clone(),
                value: cx.text(k)?,
            }),
        }
    }
    for (block, rt) in &fills.optional_values {
        let (block, resource_type) = (block.clone(), rt.clone());
        match cx
            .answers
            .get(&key(&["product_blocks", &block, "defaults", rt]))
        {
            Some(Answer::Text(value)) => up.push(Op::BackfillValue {
                block,
                resource_type,
                value: value.clone(),
            }),
            Some(Answer::List(values)) if !values.is_empty() => up.push(Op::BackfillValues {
                block,
                resource_type,
                values: values.clone(),
            }),
            _ => {}
        }
    }

    Ok(up)
}

/// The downgrade: the upgrade undone in reverse, with the metadata rows it deletes restored as
/// `actual` holds them.
fn downgrade(changes: &Changes, actual: &Catalog, fills: &Backfills) -> Vec<OwnedOp> {
    let mut down: Vec<OwnedOp> = Vec::new();
    // what the upgrade creates is deleted whole, with its links and fixed inputs; looked up
    // once per link, so a set (a catalogue of 10,000 products has 60,000 links)
    let created_blocks: HashSet<&str> = changes.create_blocks.iter().map(String::as_str).collect();
    let created_products: HashSet<&str> =
        changes.create_products.iter().map(String::as_str).collect();
    // 1. new instances of existing blocks
    for c in fills.children.iter().rev().filter(|c| c.reversible) {
        down.push(Op::DeleteChildInstances {
            parent: c.parent.clone(),
            child: c.child.clone(),
            attribute: c.attribute.clone(),
        });
    }
    for (product, block) in fills.roots.iter().rev() {
        down.push(Op::DeleteRootInstances {
            product: product.clone(),
            block: block.clone(),
        });
    }
    // 2. links the upgrade made
    for (block, rt) in &changes.link_resource_types {
        if !created_blocks.contains(block.as_str()) {
            down.push(Op::UnlinkResourceType {
                block: block.clone(),
                resource_type: rt.clone(),
            });
        }
    }
    for (parent, child, old, _) in &changes.set_relation_bounds {
        down.push(Op::SetBlockRelationBounds {
            in_use_by: parent.clone(),
            depends_on: child.clone(),
            min: old.min,
            max: old.max,
        });
    }
    for (parent, child, _) in &changes.link_block_relations {
        if !created_blocks.contains(parent.as_str()) && !created_blocks.contains(child.as_str()) {
            down.push(Op::UnlinkBlockRelation {
                in_use_by: parent.clone(),
                depends_on: child.clone(),
            });
        }
    }
    for (product, block) in &changes.link_product_blocks {
        if !created_products.contains(product.as_str()) && !created_blocks.contains(block.as_str())
        {
            down.push(Op::UnlinkProductBlock {
                product: product.clone(),
                block: block.clone(),
            });
        }
    }
    // 3. rows the upgrade deleted, as they were
    for r in &changes.delete_resource_types {
        down.push(Op::CreateResourceType {
            name: r.clone(),
            description: actual.resource_types[r].description.clone(),
        });
    }
    for b in &changes.delete_blocks {
        let a = &actual.blocks[b];
        down.push(Op::CreateProductBlock {
            name: b.clone(),
            description: a.description.clone().unwrap_or_default(),
            tag: a.tag.clone(),
            status: a.status.clone(),
        });
    }
    for p in &changes.delete_products {
        let a = &actual.products[p];
        down.push(Op::CreateProduct {
            name: p.clone(),
            product_type: a.product_type.clone(),
            description: a.description.clone().unwrap_or_default(),
            tag: a.tag.clone().unwrap_or_default(),
            status: a.status.clone().unwrap_or_else(|| "active".into()),
        });
    }
    let mut restore_fixed_inputs: BTreeSet<(&String, &String)> = changes
        .delete_fixed_inputs
        .iter()
        .map(|(p, f)| (p, f))
        .collect();
    for p in &changes.delete_products {
        for f in actual.products[p].fixed_inputs.keys() {
            restore_fixed_inputs.insert((p, f));
        }
    }
    for (p, f) in restore_fixed_inputs {
        down.push(Op::CreateFixedInput {
            product: p.clone(),
            name: f.clone(),
            value: actual.products[p].fixed_inputs[f]
                .value
                .clone()
                .unwrap_or_default(),
        });
    }
    // 4. links the upgrade removed, and those of deleted rows
    let mut product_links: BTreeSet<(&String, &String)> = changes
        .unlink_product_blocks
        .iter()
        .map(|(p, b)| (p, b))
        .collect();
    for p in &changes.delete_products {
        for b in &actual.products[p].blocks {
            product_links.insert((p, b));
        }
    }
    for (product, block) in product_links {
        down.push(Op::LinkProductBlock {
            product: product.clone(),
            block: block.clone(),
        });
    }
    let deleted_blocks: BTreeSet<&String> = changes.delete_blocks.iter().collect();
    let mut relations: BTreeMap<(&String, &String), &Relation> = BTreeMap::new();
    for (parent, child) in &changes.unlink_block_relations {
        relations.insert((parent, child), &actual.blocks[parent].depends_on[child]);
    }
    for (parent, b) in &actual.blocks {
        for (child, rel) in &b.depends_on {
            if deleted_blocks.contains(parent) || deleted_blocks.contains(child) {
                relations.insert((parent, child), rel);
            }
        }
    }
    for ((parent, child), rel) in relations {
        down.push(Op::LinkBlockRelation {
            in_use_by: parent.clone(),
            depends_on: child.clone(),
            min: rel.min,
            max: rel.max,
        });
    }
    let mut rt_links: BTreeSet<(&String, &String)> = changes
        .unlink_resource_types
        .iter()
        .map(|(b, r)| (b, r))
        .collect();
    for b in &changes.delete_blocks {
        for r in actual.blocks[b].resource_types.keys() {
            rt_links.insert((b, r));
        }
    }
    for (block, rt) in rt_links {
        down.push(Op::LinkResourceType {
            block: block.clone(),
            resource_type: rt.clone(),
        });
    }
    // 5. moved values back
    for (block, from, to) in changes.move_resource_types.iter().rev() {
        down.push(Op::MoveResourceType {
            block: block.clone(),
            from: to.clone(),
            to: from.clone(),
        });
    }
    // 6. rows the upgrade created
    for (p, fi) in &changes.create_fixed_inputs {
        if !created_products.contains(p.as_str()) {
            down.push(Op::DeleteFixedInput {
                product: p.clone(),
                name: fi.clone(),
            });
        }
    }
    for p in &changes.create_products {
        down.push(Op::DeleteProduct { name: p.clone() });
    }
    for b in &changes.create_blocks {
        down.push(Op::DeleteProductBlock { name: b.clone() });
    }
    for r in &changes.create_resource_types {
        down.push(Op::DeleteResourceType { name: r.clone() });
    }
    // 7. product types
    for (product, _) in &changes.set_product_types {
        down.push(Op::SetProductType {
            name: product.clone(),
            product_type: actual.products[product].product_type.clone(),
        });
    }
    // 8. renames back
    for (block, from, to) in changes.rename_relation_attributes.iter().rev() {
        down.push(Op::RenameRelationAttribute {
            block: block.clone(),
            from: to.clone(),
            to: from.clone(),
        });
    }
    for (from, to) in changes.rename_resource_types.iter().rev() {
        down.push(Op::RenameResourceType {
            from: to.clone(),
            to: from.clone(),
        });
    }
    for (product, from, to) in changes.rename_fixed_inputs.iter().rev() {
        down.push(Op::RenameFixedInput {
            product: product.clone(),
            from: to.clone(),
            to: from.clone(),
        });
    }
    down
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use orch_core::Cardinality;

    use super::*;
    use crate::diff::tests::{Cat, one, ports};
    use crate::diff::{diff, rename_candidates};
    use crate::questions::{self, Kind};
    use crate::render;

    fn s(v: &str) -> String {
        v.to_owned()
    }

    /// Answers every question of the changes: a text naming the key, `1` for values, and
    /// `confirm` for confirmations.
    fn answer_all(
        changes: &Changes,
        desired: &Catalog,
        actual: &Catalog,
        confirm: bool,
    ) -> Answers {
        let renames = Renames::declared(desired, actual);
        let fills = backfills(changes, desired, actual, &renames);
        let mut answers = Answers::default();
        for q in questions::questions(changes, &fills, desired, actual) {
            let last = q.key.0.last().unwrap().clone();
            let answer = match q.kind {
                Kind::Confirm => Answer::Bool(confirm),
                Kind::Tag => Answer::Text(last.to_uppercase().chars().take(20).collect()),
                Kind::Value(_) => Answer::Text(format!("{last} value")),
                _ => Answer::Text(format!("{} answer", q.key)),
            };
            assert_eq!(q.check(&answer), Ok(()), "{}", q.key);
            answers.insert(q.key, answer);
        }
        answers
    }

    fn plan_declared(
        desired: &Catalog,
        actual: &Catalog,
        answers: &Answers,
    ) -> Result<Plan, PlanError> {
        let renames = Renames::declared(desired, actual);
        let changes = diff(desired, actual, &renames);
        plan(&changes, answers, desired, actual, &renames)
    }

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_065_700, 0).unwrap()
    }

    /// Renders `plan`, checks that the module parses, and returns its source.
    fn rendered(plan: &Plan, message: &str) -> String {
        let r = render::migration(plan, message, at(), "orch-migrate");
        syn::parse_file(&r.source).expect("the module parses");
        assert_eq!(
            render::migration(plan, message, at(), "orch-migrate"),
            r,
            "same plan, same bytes"
        );
        r.source
    }

    #[test]
    fn deleting_a_product_with_subscriptions_needs_a_confirmation() {
        let actual = ports()
            .subscriptions("port 1G", 2)
            .instances("PortBlock", 2)
            .values("PortBlock", "alias", 2)
            .values("PortBlock", "mtu", 2)
            .build();
        let mut desired = actual.clone();
        desired.products.remove("port 1G");
        let key = confirmation("delete_products", &["port 1G"]);
        assert_eq!(
            plan_declared(&desired, &actual, &Answers::default()),
            Err(PlanError::Unanswered(key.clone()))
        );
        let mut answers = Answers::default();
        answers.insert(key.clone(), Answer::Bool(false));
        assert!(matches!(
            plan_declared(&desired, &actual, &answers),
            Err(PlanError::Refused { key: k, .. }) if k == key
        ));
        answers.insert(key, Answer::Bool(true));
        let p = plan_declared(&desired, &actual, &answers).unwrap();
        assert_eq!(p.up, [Op::DeleteProduct { name: s("port 1G") }]);
        assert_eq!(p.data_loss.len(), 1);
        assert!(
            p.data_loss[0].contains("2 subscription(s)"),
            "{:?}",
            p.data_loss
        );
        // down restores the product as the database had it
        assert_eq!(
            p.down,
            [
                Op::CreateProduct {
                    name: s("port 1G"),
                    product_type: s("Port"),
                    description: s("port 1G product"),
                    tag: s("TAG"),
                    status: s("active"),
                },
                Op::CreateFixedInput {
                    product: s("port 1G"),
                    name: s("speed"),
                    value: s("speed of port 1G"),
                },
                Op::LinkProductBlock {
                    product: s("port 1G"),
                    block: s("PortBlock"),
                },
            ]
        );
        // without subscriptions nothing needs confirming
        let empty = ports().build();
        assert!(plan_declared(&desired, &empty, &Answers::default()).is_ok());
    }

    /// B2: a fixed input shared by non-consecutive products is created for each, with its own
    /// value, and removed from each by `down`.
    #[test]
    fn a_fixed_input_of_non_consecutive_products_is_created_for_each() {
        let actual = Cat::default()
            .product("a", "T1", &[], &[])
            .product("b", "T2", &[], &[])
            .product("c", "T1", &[], &[])
            .build();
        let desired = Cat::default()
            .product("a", "T1", &["x"], &[])
            .product("b", "T2", &["y"], &[])
            .product("c", "T1", &["x"], &[])
            .build();
        let changes = diff(&desired, &actual, &Renames::default());
        let mut answers = Answers::default();
        for (p, f) in [("a", "x"), ("b", "y"), ("c", "x")] {
            answers.insert(
                Key::new(["products", p, "fixed_inputs", f]),
                Answer::Text(format!("{f} for {p}")),
            );
        }
        let p = plan(&changes, &answers, &desired, &actual, &Renames::default()).unwrap();
        let created = |p: &str, f: &str| Op::CreateFixedInput {
            product: s(p),
            name: s(f),
            value: format!("{f} for {p}"),
        };
        assert_eq!(
            p.up,
            [created("a", "x"), created("b", "y"), created("c", "x")]
        );
        let deleted = |p: &str, f: &str| Op::DeleteFixedInput {
            product: s(p),
            name: s(f),
        };
        assert_eq!(
            p.down,
            [deleted("a", "x"), deleted("b", "y"), deleted("c", "x")]
        );
    }

    /// The catalogue before and after adding a required root `ABlock` (which requires a new
    /// `BBlock`) to `Port`, and a list of at least two new `VlanBlock`s to `PortBlock`.
    fn growing() -> (Catalog, Catalog) {
        let actual = ports()
            .subscriptions("port 10G", 3)
            .instances("PortBlock", 5)
            .instances("LagBlock", 1)
            .relations("LagBlock", "members", 2)
            .values("PortBlock", "alias", 5)
            .values("PortBlock", "mtu", 5)
            .values("LagBlock", "alias", 1)
            .build();
        let desired = ports()
            .product(
                "port 10G",
                "Port",
                &["speed"],
                &[one("port", "PortBlock"), one("a", "ABlock")],
            )
            .product(
                "port 1G",
                "Port",
                &["speed"],
                &[one("port", "PortBlock"), one("a", "ABlock")],
            )
            .block("ABlock", &["title"], &[one("b", "BBlock")])
            .block("BBlock", &["n"], &[])
            .block("VlanBlock", &["vid", "names"], &[])
            .list_rt("VlanBlock", "names")
            .block(
                "PortBlock",
                &["alias", "mtu"],
                &[("vlans", "VlanBlock", Cardinality::List, Some(2), None)],
            )
            .build();
        (desired, actual)
    }

    #[test]
    fn backfills_cover_new_roots_nested_children_and_list_minimums() {
        let (desired, actual) = growing();
        let renames = Renames::default();
        let changes = diff(&desired, &actual, &renames);
        let fills = backfills(&changes, &desired, &actual, &renames);
        assert_eq!(
            fills.roots,
            [(s("port 10G"), s("ABlock"))],
            "port 1G has no subscriptions"
        );
        assert_eq!(
            fills.children,
            [
                ChildBackfill {
                    parent: s("ABlock"),
                    child: s("BBlock"),
                    attribute: s("b"),
                    count: 1,
                    reversible: true,
                },
                ChildBackfill {
                    parent: s("PortBlock"),
                    child: s("VlanBlock"),
                    attribute: s("vlans"),
                    count: 2,
                    reversible: true,
                },
            ]
        );
        assert_eq!(
            fills.values,
            [
                (s("ABlock"), s("title")),
                (s("BBlock"), s("n")),
                (s("VlanBlock"), s("vid")),
            ],
            "single resource types of new instances; not the list"
        );
        let answers = answer_all(&changes, &desired, &actual, true);
        let p = plan(&changes, &answers, &desired, &actual, &renames).unwrap();
        let tail = &p.up[p.up.len() - 6..];
        assert_eq!(
            tail,
            [
                Op::BackfillRootInstances {
                    product: s("port 10G"),
                    block: s("ABlock"),
                },
                Op::BackfillChildInstances {
                    parent: s("ABlock"),
                    child: s("BBlock"),
                    attribute: s("b"),
                    count: 1,
                },
                Op::BackfillChildInstances {
                    parent: s("PortBlock"),
                    child: s("VlanBlock"),
                    attribute: s("vlans"),
                    count: 2,
                },
                Op::BackfillValue {
                    block: s("ABlock"),
                    resource_type: s("title"),
                    value: s("title value"),
                },
                Op::BackfillValue {
                    block: s("BBlock"),
                    resource_type: s("n"),
                    value: s("n value"),
                },
                Op::BackfillValue {
                    block: s("VlanBlock"),
                    resource_type: s("vid"),
                    value: s("vid value"),
                },
            ]
        );
        // down removes them deepest first, before anything else
        assert_eq!(
            p.down[..3],
            [
                Op::DeleteChildInstances {
                    parent: s("PortBlock"),
                    child: s("VlanBlock"),
                    attribute: s("vlans"),
                },
                Op::DeleteChildInstances {
                    parent: s("ABlock"),
                    child: s("BBlock"),
                    attribute: s("b"),
                },
                Op::DeleteRootInstances {
                    product: s("port 10G"),
                    block: s("ABlock"),
                },
            ]
        );
        insta::assert_snapshot!("backfills", rendered(&p, "Add A and vlans"));
    }

    #[test]
    fn no_subscriptions_no_backfills() {
        let (desired, mut actual) = growing();
        for p in actual.products.values_mut() {
            p.subscriptions = 0;
        }
        for b in actual.blocks.values_mut() {
            b.instances = 0;
        }
        let changes = diff(&desired, &actual, &Renames::default());
        let fills = backfills(&changes, &desired, &actual, &Renames::default());
        assert_eq!(fills, Backfills::default());
    }

    /// Values a per-block replacement moves away are not lost when the old resource type is
    /// deleted afterwards, so that deletion needs no confirmation for them.
    #[test]
    fn moved_values_are_not_counted_as_deleted() {
        let actual = ports()
            .block("VlanBlock", &["vid"], &[])
            .instances("PortBlock", 4)
            .values("PortBlock", "mtu", 4)
            .values("PortBlock", "alias", 4)
            .build();
        let desired = Cat(actual.clone())
            .block("PortBlock", &["alias", "vid"], &[])
            .build();
        let mut renames = Renames::default();
        renames
            .resource_types
            .insert(s("PortBlock"), BTreeMap::from([(s("mtu"), s("vid"))]));
        let changes = diff(&desired, &actual, &renames);
        assert_eq!(changes.delete_resource_types, ["mtu"]);
        assert_eq!(values_deleted_with("mtu", &changes, &actual), 0);
        let fills = backfills(&changes, &desired, &actual, &renames);
        let qs = questions::questions(&changes, &fills, &desired, &actual);
        assert!(qs.is_empty(), "{qs:?}");
        let p = plan(&changes, &Answers::default(), &desired, &actual, &renames).unwrap();
        assert!(p.data_loss.is_empty());
        assert_eq!(
            p.up,
            [
                Op::MoveResourceType {
                    block: s("PortBlock"),
                    from: s("mtu"),
                    to: s("vid"),
                },
                Op::DeleteResourceType { name: s("mtu") },
            ]
        );
        assert_eq!(
            p.down,
            [
                Op::CreateResourceType {
                    name: s("mtu"),
                    description: None,
                },
                Op::MoveResourceType {
                    block: s("PortBlock"),
                    from: s("vid"),
                    to: s("mtu"),
                },
            ]
        );
        // values of other blocks are still counted
        let more = Cat(actual.clone())
            .block("LagBlock", &["alias", "mtu"], &[])
            .values("LagBlock", "mtu", 1)
            .build();
        let desired_more = Cat(desired.clone())
            .block(
                "LagBlock",
                &["alias"],
                &[("members", "PortBlock", Cardinality::List, Some(2), Some(8))],
            )
            .build();
        let changes = diff(&desired_more, &more, &renames);
        assert_eq!(values_deleted_with("mtu", &changes, &more), 1);
    }

    #[test]
    fn a_new_catalogue() {
        let desired = ports().build();
        let actual = Catalog::default();
        let changes = diff(&desired, &actual, &Renames::default());
        let answers = answer_all(&changes, &desired, &actual, true);
        let p = plan(&changes, &answers, &desired, &actual, &Renames::default()).unwrap();
        assert!(p.data_loss.is_empty());
        assert_eq!(p.up.len(), changes.len());
        // down deletes what up created: products, blocks and resource types (links cascade)
        assert_eq!(p.down.len(), 7, "{:#?}", p.down);
        insta::assert_snapshot!("new_catalogue", rendered(&p, "Add ports and lags"));
    }

    /// Renames, moves, removals, bounds and a product type, on a database with data.
    #[test]
    fn renames_and_removals() {
        let actual = ports()
            .block("VlanBlock", &["vid"], &[])
            .product("vlan", "Vlan", &["colour"], &[one("vlan", "VlanBlock")])
            .subscriptions("vlan", 1)
            .subscriptions("lag", 1)
            .instances("VlanBlock", 1)
            .instances("PortBlock", 2)
            .instances("LagBlock", 1)
            .values("VlanBlock", "vid", 1)
            .values("PortBlock", "alias", 2)
            .values("PortBlock", "mtu", 2)
            .values("LagBlock", "alias", 1)
            .relations("LagBlock", "members", 2)
            .build();
        let desired = Cat::default()
            .product(
                "port 10G",
                "FastPort",
                &["bandwidth"],
                &[one("port", "PortBlock")],
            )
            .fi_renamed_from("port 10G", "bandwidth", "speed")
            .product("port 1G", "Port", &[], &[one("port", "PortBlock")])
            .product("lag", "Lag", &[], &[one("lag", "LagBlock")])
            .block("PortBlock", &["port_name", "max_frame"], &[])
            .rt_renamed_from("PortBlock", "port_name", "alias")
            .rt_renamed_from("PortBlock", "max_frame", "mtu")
            .block(
                "LagBlock",
                &["alias"],
                &[("ports", "PortBlock", Cardinality::List, Some(1), Some(4))],
            )
            .field_renamed_from("LagBlock", "ports", "members")
            .build();
        let renames = Renames::declared(&desired, &actual);
        assert!(rename_candidates(&desired, &actual, &renames).is_empty());
        let changes = diff(&desired, &actual, &renames);
        assert_eq!(changes.delete_products, ["vlan"]);
        assert_eq!(changes.delete_blocks, ["VlanBlock"]);
        assert_eq!(changes.delete_resource_types, ["vid"]);
        assert_eq!(changes.rename_resource_types, [(s("mtu"), s("max_frame"))]);
        assert_eq!(
            changes.move_resource_types,
            [(s("PortBlock"), s("alias"), s("port_name"))]
        );
        let refused = answer_all(&changes, &desired, &actual, false);
        assert!(matches!(
            plan(&changes, &refused, &desired, &actual, &renames),
            Err(PlanError::Refused { .. })
        ));
        let answers = answer_all(&changes, &desired, &actual, true);
        let p = plan(&changes, &answers, &desired, &actual, &renames).unwrap();
        assert_eq!(p.data_loss.len(), 3, "{:#?}", p.data_loss);
        insta::assert_snapshot!("renames_and_removals", rendered(&p, "Rename and remove"));
    }
}
