//! The diff: what must change in the database so that it holds what the models say.
//!
//! [`diff`] compares the catalog of the models with the catalog of the database, given the
//! renames that are known (declared on the models with `#[renamed_from]`, or answered), and
//! returns [`Changes`]: every kind of change orchestrator-core's `migrate-domain-models`
//! detects, plus product type changes, relation bounds and renamed relation fields. Each list
//! is sorted, so the result never depends on hash order. [`rename_candidates`] finds the
//! removed/added pairs that might be renames nobody declared, for the questions.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Catalog, Relation};

/// Renames decided so far: declared on the models or answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames {
    /// Product -> old fixed input name -> new name.
    pub fixed_inputs: BTreeMap<String, BTreeMap<String, String>>,
    /// Block -> old resource type -> new resource type.
    pub resource_types: BTreeMap<String, BTreeMap<String, String>>,
    /// Block -> old field name -> new field name, for fields that hold blocks.
    pub relation_attributes: BTreeMap<String, BTreeMap<String, String>>,
    /// (product or block, old name) that the answers said were not renamed.
    pub rejected: BTreeSet<(String, String)>,
}

impl Renames {
    /// The renames the models declare with `#[renamed_from]` that apply to this database: the
    /// old name is there and the new one is not.
    pub fn declared(desired: &Catalog, actual: &Catalog) -> Renames {
        let mut renames = Renames::default();
        for (name, p) in &desired.products {
            let Some(old_p) = actual.products.get(name) else {
                continue;
            };
            for (fi, f) in &p.fixed_inputs {
                if old_p.fixed_inputs.contains_key(fi) {
                    continue;
                }
                if let Some(old) = f.renamed_from.iter().find(|o| {
                    old_p.fixed_inputs.contains_key(*o) && !p.fixed_inputs.contains_key(*o)
                }) {
                    renames
                        .fixed_inputs
                        .entry(name.clone())
                        .or_default()
                        .insert(old.clone(), fi.clone());
                }
            }
        }
        for (name, b) in &desired.blocks {
            let Some(old_b) = actual.blocks.get(name) else {
                continue;
            };
            for (rt, r) in &b.resource_types {
                if old_b.resource_types.contains_key(rt) {
                    continue;
                }
                if let Some(old) = r.renamed_from.iter().find(|o| {
                    old_b.resource_types.contains_key(*o) && !b.resource_types.contains_key(*o)
                }) {
                    renames
                        .resource_types
                        .entry(name.clone())
                        .or_default()
                        .insert(old.clone(), rt.clone());
                }
            }
            for f in &b.block_fields {
                if old_b.relation_attributes.contains_key(&f.name) {
                    continue;
                }
                if let Some(old) = f
                    .renamed_from
                    .iter()
                    .find(|o| old_b.relation_attributes.contains_key(*o))
                {
                    renames
                        .relation_attributes
                        .entry(name.clone())
                        .or_default()
                        .insert(old.clone(), f.name.clone());
                }
            }
        }
        renames
    }
}

/// A possible rename nobody has decided: in one product (fixed inputs) or block (resource
/// types), `old` is gone from the models and each of `new` appeared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameCandidate {
    /// Whether this is about fixed inputs or resource types.
    pub kind: RenameKind,
    /// The product or block name.
    pub owner: String,
    /// The name in the database.
    pub old: String,
    /// The new names in the models it could have become.
    pub new: Vec<String>,
}

/// What a [`RenameCandidate`] renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RenameKind {
    /// A fixed input of a product.
    FixedInput,
    /// A resource type of a block.
    ResourceType,
}

/// Every undecided possible rename, sorted by owner and old name.
pub fn rename_candidates(
    desired: &Catalog,
    actual: &Catalog,
    renames: &Renames,
) -> Vec<RenameCandidate> {
    let mut out = Vec::new();
    let empty = BTreeMap::new();
    for (name, p) in &desired.products {
        let Some(old_p) = actual.products.get(name) else {
            continue;
        };
        let decided = renames.fixed_inputs.get(name).unwrap_or(&empty);
        let gone: Vec<&String> = old_p
            .fixed_inputs
            .keys()
            .filter(|k| !p.fixed_inputs.contains_key(*k) && !decided.contains_key(*k))
            .collect();
        let added: Vec<&String> = p
            .fixed_inputs
            .keys()
            .filter(|k| !old_p.fixed_inputs.contains_key(*k) && !decided.values().any(|v| v == *k))
            .collect();
        push_candidates(
            &mut out,
            RenameKind::FixedInput,
            name,
            &gone,
            &added,
            renames,
        );
    }
    for (name, b) in &desired.blocks {
        let Some(old_b) = actual.blocks.get(name) else {
            continue;
        };
        let decided = renames.resource_types.get(name).unwrap_or(&empty);
        let gone: Vec<&String> = old_b
            .resource_types
            .keys()
            .filter(|k| !b.resource_types.contains_key(*k) && !decided.contains_key(*k))
            .collect();
        let added: Vec<&String> = b
            .resource_types
            .keys()
            .filter(|k| {
                !old_b.resource_types.contains_key(*k) && !decided.values().any(|v| v == *k)
            })
            .collect();
        push_candidates(
            &mut out,
            RenameKind::ResourceType,
            name,
            &gone,
            &added,
            renames,
        );
    }
    out
}

fn push_candidates(
    out: &mut Vec<RenameCandidate>,
    kind: RenameKind,
    owner: &str,
    gone: &[&String],
    added: &[&String],
    renames: &Renames,
) {
    if added.is_empty() {
        return;
    }
    for old in gone {
        if renames
            .rejected
            .contains(&(owner.to_owned(), (*old).clone()))
        {
            continue;
        }
        out.push(RenameCandidate {
            kind,
            owner: owner.to_owned(),
            old: (*old).clone(),
            new: added.iter().map(|n| (*n).clone()).collect(),
        });
    }
}

/// Everything that must change, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    /// Registered products missing from the database.
    pub create_products: Vec<String>,
    /// Products in the database that are no longer registered.
    pub delete_products: Vec<String>,
    /// (product, new product type) for products whose registration changed type.
    pub set_product_types: Vec<(String, String)>,
    /// (product, fixed input) to create, including those of new products.
    pub create_fixed_inputs: Vec<(String, String)>,
    /// (product, fixed input) to delete from products that stay.
    pub delete_fixed_inputs: Vec<(String, String)>,
    /// (product, old, new) fixed input renames.
    pub rename_fixed_inputs: Vec<(String, String, String)>,
    /// Blocks reachable from the registry but missing from the database.
    pub create_blocks: Vec<String>,
    /// Blocks in the database that no registered product reaches.
    pub delete_blocks: Vec<String>,
    /// Resource types used by the models but missing from the database.
    pub create_resource_types: Vec<String>,
    /// Resource types in the database that no block of the models uses.
    pub delete_resource_types: Vec<String>,
    /// (old, new) global resource type renames: values and links are kept.
    pub rename_resource_types: Vec<(String, String)>,
    /// (product, block) root block links to create.
    pub link_product_blocks: Vec<(String, String)>,
    /// (product, block) root block links to remove from products that stay.
    pub unlink_product_blocks: Vec<(String, String)>,
    /// (parent, child) block relations to create, with their bounds.
    pub link_block_relations: Vec<(String, String, Relation)>,
    /// (parent, child) block relations to remove from blocks that stay.
    pub unlink_block_relations: Vec<(String, String)>,
    /// (parent, child, old bounds, new bounds) relations whose bounds changed.
    pub set_relation_bounds: Vec<(String, String, Relation, Relation)>,
    /// (block, resource type) links to create.
    pub link_resource_types: Vec<(String, String)>,
    /// (block, resource type) links to remove from blocks that stay, with their values there.
    pub unlink_resource_types: Vec<(String, String)>,
    /// (block, old, new) per-block resource type replacements that move the block's values.
    pub move_resource_types: Vec<(String, String, String)>,
    /// (block, old, new) renamed block fields in stored instance relations.
    pub rename_relation_attributes: Vec<(String, String, String)>,
    /// (block, field) block fields that existing instances lack: a field added to a block whose
    /// relation to the child type already existed (so no metadata changes), which existing
    /// instances must get children for.
    pub add_block_fields: Vec<(String, String)>,
    /// (block, resource type) resource types required in every lifecycle that some existing
    /// instances have no value for (e.g. an `Option` field made required).
    pub fill_resource_types: Vec<(String, String)>,
}

impl Changes {
    /// Whether the database already holds what the models say.
    pub fn is_empty(&self) -> bool {
        self == &Changes::default()
    }

    /// Number of changes, for summaries.
    pub fn len(&self) -> usize {
        self.create_products.len()
            + self.delete_products.len()
            + self.set_product_types.len()
            + self.create_fixed_inputs.len()
            + self.delete_fixed_inputs.len()
            + self.rename_fixed_inputs.len()
            + self.create_blocks.len()
            + self.delete_blocks.len()
            + self.create_resource_types.len()
            + self.delete_resource_types.len()
            + self.rename_resource_types.len()
            + self.link_product_blocks.len()
            + self.unlink_product_blocks.len()
            + self.link_block_relations.len()
            + self.unlink_block_relations.len()
            + self.set_relation_bounds.len()
            + self.link_resource_types.len()
            + self.unlink_resource_types.len()
            + self.move_resource_types.len()
            + self.rename_relation_attributes.len()
            + self.add_block_fields.len()
            + self.fill_resource_types.len()
    }
}

/// Compares the models (`desired`) with the database (`actual`), applying `renames`.
pub fn diff(desired: &Catalog, actual: &Catalog, renames: &Renames) -> Changes {
    let mut c = Changes::default();
    let no_renames = BTreeMap::new();

    for (name, p) in &desired.products {
        match actual.products.get(name) {
            None => {
                c.create_products.push(name.clone());
                for fi in p.fixed_inputs.keys() {
                    c.create_fixed_inputs.push((name.clone(), fi.clone()));
                }
                for b in &p.blocks {
                    c.link_product_blocks.push((name.clone(), b.clone()));
                }
            }
            Some(old) => {
                if old.product_type != p.product_type {
                    c.set_product_types
                        .push((name.clone(), p.product_type.clone()));
                }
                let fi_renames = renames.fixed_inputs.get(name).unwrap_or(&no_renames);
                for (from, to) in fi_renames {
                    if old.fixed_inputs.contains_key(from) && p.fixed_inputs.contains_key(to) {
                        c.rename_fixed_inputs
                            .push((name.clone(), from.clone(), to.clone()));
                    }
                }
                let renamed_from: BTreeSet<&String> = c
                    .rename_fixed_inputs
                    .iter()
                    .filter(|r| &r.0 == name)
                    .map(|r| &r.1)
                    .collect();
                let renamed_to: BTreeSet<&String> = c
                    .rename_fixed_inputs
                    .iter()
                    .filter(|r| &r.0 == name)
                    .map(|r| &r.2)
                    .collect();
                let (mut create, mut delete) = (Vec::new(), Vec::new());
                for fi in p.fixed_inputs.keys() {
                    if !old.fixed_inputs.contains_key(fi) && !renamed_to.contains(fi) {
                        create.push((name.clone(), fi.clone()));
                    }
                }
                for fi in old.fixed_inputs.keys() {
                    if !p.fixed_inputs.contains_key(fi) && !renamed_from.contains(fi) {
                        delete.push((name.clone(), fi.clone()));
                    }
                }
                c.create_fixed_inputs.extend(create);
                c.delete_fixed_inputs.extend(delete);
                for b in p.blocks.difference(&old.blocks) {
                    c.link_product_blocks.push((name.clone(), b.clone()));
                }
                for b in old.blocks.difference(&p.blocks) {
                    c.unlink_product_blocks.push((name.clone(), b.clone()));
                }
            }
        }
    }
    for name in actual.products.keys() {
        if !desired.products.contains_key(name) {
            c.delete_products.push(name.clone());
        }
    }

    // resource types: decide which per-block renames become global renames
    let mut global: BTreeMap<String, String> = BTreeMap::new();
    let mut pairs: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (block, map) in &renames.resource_types {
        let (Some(b), Some(old_b)) = (desired.blocks.get(block), actual.blocks.get(block)) else {
            continue;
        };
        for (from, to) in map {
            if old_b.resource_types.contains_key(from) && b.resource_types.contains_key(to) {
                pairs
                    .entry((from.clone(), to.clone()))
                    .or_default()
                    .push(block.clone());
            }
        }
    }
    for ((from, to), blocks) in &pairs {
        let old_unused_by_models = !desired
            .blocks
            .values()
            .any(|b| b.resource_types.contains_key(from));
        let new_is_new = !actual.resource_types.contains_key(to);
        let all_holders_rename = actual
            .blocks
            .iter()
            .filter(|(_, b)| b.resource_types.contains_key(from))
            .all(|(name, _)| blocks.contains(name));
        let one_target = !pairs.keys().any(|(f, t)| f == from && t != to);
        if old_unused_by_models && new_is_new && all_holders_rename && one_target {
            global.insert(from.clone(), to.clone());
        } else {
            for block in blocks {
                c.move_resource_types
                    .push((block.clone(), from.clone(), to.clone()));
            }
        }
    }
    c.rename_resource_types = global.iter().map(|(f, t)| (f.clone(), t.clone())).collect();
    let moved_from: BTreeSet<(&String, &String)> = c
        .move_resource_types
        .iter()
        .map(|(b, f, _)| (b, f))
        .collect();
    let moved_to: BTreeSet<(&String, &String)> = c
        .move_resource_types
        .iter()
        .map(|(b, _, t)| (b, t))
        .collect();

    for (name, b) in &desired.blocks {
        match actual.blocks.get(name) {
            None => {
                c.create_blocks.push(name.clone());
                for rt in b.resource_types.keys() {
                    c.link_resource_types.push((name.clone(), rt.clone()));
                }
                for (child, rel) in &b.depends_on {
                    c.link_block_relations
                        .push((name.clone(), child.clone(), rel.clone()));
                }
            }
            Some(old) => {
                // a globally renamed resource type keeps its links: compare under the new name
                let old_rts: BTreeSet<String> = old
                    .resource_types
                    .keys()
                    .map(|k| global.get(k).cloned().unwrap_or_else(|| k.clone()))
                    .collect();
                for rt in b.resource_types.keys() {
                    if !old_rts.contains(rt) && !moved_to.contains(&(name, rt)) {
                        c.link_resource_types.push((name.clone(), rt.clone()));
                    }
                }
                for rt in old.resource_types.keys() {
                    let now = global.get(rt).unwrap_or(rt);
                    if !b.resource_types.contains_key(now) && !moved_from.contains(&(name, rt)) {
                        c.unlink_resource_types.push((name.clone(), rt.clone()));
                    }
                }
                for (child, rel) in &b.depends_on {
                    match old.depends_on.get(child) {
                        None => {
                            c.link_block_relations
                                .push((name.clone(), child.clone(), rel.clone()))
                        }
                        Some(old_rel) if old_rel != rel => c.set_relation_bounds.push((
                            name.clone(),
                            child.clone(),
                            old_rel.clone(),
                            rel.clone(),
                        )),
                        Some(_) => {}
                    }
                }
                for child in old.depends_on.keys() {
                    if !b.depends_on.contains_key(child) {
                        c.unlink_block_relations.push((name.clone(), child.clone()));
                    }
                }
                let attr_renames = renames.relation_attributes.get(name);
                if let Some(map) = attr_renames {
                    for (from, to) in map {
                        if old.relation_attributes.contains_key(from) {
                            c.rename_relation_attributes.push((
                                name.clone(),
                                from.clone(),
                                to.clone(),
                            ));
                        }
                    }
                }
                if old.instances > 0 {
                    for f in &b.block_fields {
                        let stored = attr_renames
                            .and_then(|m| m.iter().find(|(_, to)| **to == f.name))
                            .map_or(&f.name, |(from, _)| from);
                        let is_new_relation = f
                            .blocks
                            .iter()
                            .any(|child| !old.depends_on.contains_key(child));
                        if f.backfill_count() > 0
                            && !old.relation_attributes.contains_key(stored)
                            && !is_new_relation
                        {
                            c.add_block_fields.push((name.clone(), f.name.clone()));
                        }
                    }
                    for (rt, r) in &b.resource_types {
                        // under the name the database knows it by
                        let stored_rt = global
                            .iter()
                            .find(|(_, to)| *to == rt)
                            .map_or(rt, |(from, _)| from);
                        let stored_rt = c
                            .move_resource_types
                            .iter()
                            .find(|(blk, _, to)| blk == name && to == rt)
                            .map_or(stored_rt, |(_, from, _)| from);
                        if let Some(values) = old.resource_types.get(stored_rt).map(|x| x.values) {
                            if r.always_required && values < old.instances {
                                c.fill_resource_types.push((name.clone(), rt.clone()));
                            }
                        }
                    }
                }
            }
        }
    }
    for name in actual.blocks.keys() {
        if !desired.blocks.contains_key(name) {
            c.delete_blocks.push(name.clone());
        }
    }

    let used: BTreeSet<&String> = desired
        .blocks
        .values()
        .flat_map(|b| b.resource_types.keys())
        .collect();
    let renamed_targets: BTreeSet<&String> = global.values().collect();
    for rt in &used {
        if !actual.resource_types.contains_key(*rt) && !renamed_targets.contains(rt) {
            c.create_resource_types.push((*rt).clone());
        }
    }
    for rt in actual.resource_types.keys() {
        if !used.contains(rt) && !global.contains_key(rt) {
            c.delete_resource_types.push(rt.clone());
        }
    }

    sort(&mut c);
    c
}

fn sort(c: &mut Changes) {
    c.create_products.sort();
    c.delete_products.sort();
    c.set_product_types.sort();
    c.create_fixed_inputs.sort();
    c.delete_fixed_inputs.sort();
    c.rename_fixed_inputs.sort();
    c.create_blocks.sort();
    c.delete_blocks.sort();
    c.create_resource_types.sort();
    c.delete_resource_types.sort();
    c.rename_resource_types.sort();
    c.link_product_blocks.sort();
    c.unlink_product_blocks.sort();
    c.link_block_relations
        .sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    c.unlink_block_relations.sort();
    c.set_relation_bounds
        .sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    c.link_resource_types.sort();
    c.unlink_resource_types.sort();
    c.move_resource_types.sort();
    c.rename_relation_attributes.sort();
    c.add_block_fields.sort();
    c.fill_resource_types.sort();
}
