//! The plan: the upgrade and downgrade of a set of changes as lists of [`Op`]s.
//!
//! The upgrade runs renames, then creates, per-block moves, removals, links and finally the
//! backfills that give existing subscriptions what the models now require. The downgrade
//! undoes it in reverse, and restores the metadata rows the upgrade deletes (descriptions,
//! tags, fixed-input values, links), read from the database when the migration is generated.
//! Subscription data that the upgrade deletes cannot come back; [`Plan::data_loss`] says so.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use orch_core::Cardinality;
use orch_core::migration::Op;

use crate::answers::{Answer, Answers, Key};
use crate::catalog::{Catalog, Relation};
use crate::diff::{Changes, Renames};

/// The upgrade and downgrade, and what the upgrade loses for good.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Steps of `up`.
    pub up: Vec<Op<String>>,
    /// Steps of `down`.
    pub down: Vec<Op<String>>,
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
            if r.cardinality != Some(Cardinality::One) {
                continue;
            }
            if gets_new || linked.contains(&(name, rt)) {
                out.values.push((name.clone(), rt.clone()));
            }
        }
    }
    out
}

/// Why a plan cannot be made from the answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A question was not answered (the caller asks every question first).
    #[error("no answer for {0}")]
    Unanswered(Key),
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
    let mut up: Vec<Op<String>> = Vec::new();
    let mut down: Vec<Op<String>> = Vec::new();
    let mut data_loss = Vec::new();

    // destructive changes must be confirmed when they lose data
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
        let a = &actual.resource_types[r];
        if a.values > 0 {
            let what = format!(
                "deleting resource type {r:?} deletes its {} value(s)",
                a.values
            );
            cx.confirmed(confirmation("delete_resource_types", &[r]), what.clone())?;
            data_loss.push(format!("{what}; down restores the resource type, not them"));
        }
    }
    for (b, r) in &changes.unlink_resource_types {
        let values = actual.blocks[b].resource_types[r].values;
        if values > 0 {
            let what = format!(
                "removing resource type {r:?} from block {b:?} deletes its {values} value(s) there"
            );
            cx.confirmed(confirmation("unlink_resource_types", &[b, r]), what.clone())?;
            data_loss.push(format!("{what}; down restores the link, not the values"));
        }
    }

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
        up.push(Op::BackfillValue {
            block: block.clone(),
            resource_type: rt.clone(),
            value: cx.text(key(&["product_blocks", block, "defaults", rt]))?,
        });
    }

    // ---- the downgrade ----
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
        if !changes.create_blocks.contains(block) {
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
        if !changes.create_blocks.contains(parent) && !changes.create_blocks.contains(child) {
            down.push(Op::UnlinkBlockRelation {
                in_use_by: parent.clone(),
                depends_on: child.clone(),
            });
        }
    }
    for (product, block) in &changes.link_product_blocks {
        if !changes.create_products.contains(product) && !changes.create_blocks.contains(block) {
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
        if !changes.create_products.contains(p) {
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

    Ok(Plan {
        up,
        down,
        data_loss,
    })
}
