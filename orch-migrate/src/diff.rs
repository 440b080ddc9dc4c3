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
    // one old resource type renamed to several names on different blocks: the row (its id and
    // description) goes to the name most blocks take (the first by name on a tie), and the
    // other blocks move their values from it to new rows
    let mut chosen: BTreeMap<&String, &String> = BTreeMap::new();
    for ((from, to), blocks) in &pairs {
        let best = chosen.entry(from).or_insert(to);
        if blocks.len() > pairs[&(from.clone(), (*best).clone())].len() {
            *best = to;
        }
    }
    for (from, to) in pairs.keys() {
        let old_unused_by_models = !desired
            .blocks
            .values()
            .any(|b| b.resource_types.contains_key(from));
        let targets_are_new = pairs
            .keys()
            .filter(|(f, _)| f == from)
            .all(|(_, t)| !actual.resource_types.contains_key(t));
        let holders: Vec<&String> = pairs
            .iter()
            .filter(|((f, _), _)| f == from)
            .flat_map(|(_, b)| b)
            .collect();
        let all_holders_rename = actual
            .blocks
            .iter()
            .filter(|(_, b)| b.resource_types.contains_key(from))
            .all(|(name, _)| holders.contains(&name));
        if old_unused_by_models && targets_are_new && all_holders_rename && chosen[from] == to {
            global.insert(from.clone(), to.clone());
        }
    }
    for ((from, to), blocks) in &pairs {
        if global.get(from) == Some(to) {
            continue;
        }
        // after a global rename the row is known by its new name when the moves run
        let now = global.get(from).unwrap_or(from);
        for block in blocks {
            c.move_resource_types
                .push((block.clone(), now.clone(), to.clone()));
        }
    }
    c.rename_resource_types = global.iter().map(|(f, t)| (f.clone(), t.clone())).collect();
    // moved away under the name the database has now, before any rename
    let renamed_back: BTreeMap<&String, &String> = global.iter().map(|(f, t)| (t, f)).collect();
    let moved_from: BTreeSet<(&String, &String)> = c
        .move_resource_types
        .iter()
        .map(|(b, f, _)| (b, *renamed_back.get(f).unwrap_or(&f)))
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
                        if let Some(values) = old.resource_types.get(stored_rt).map(|x| x.values)
                            && r.always_required
                            && values < old.instances
                        {
                            c.fill_resource_types.push((name.clone(), rt.clone()));
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

#[cfg(test)]
pub(crate) mod tests {
    use orch_core::{Cardinality, ValueType};

    use super::*;
    use crate::catalog::{Block, BlockField, BlockResourceType, FixedInput, Product};

    /// Hand-made catalogs: what the models say (`desired`) or the database holds (`actual`).
    /// The same builder serves both; each side ignores what only the other one fills in.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Cat(pub(crate) Catalog);

    /// A block field: (field name, block, cardinality, min, max).
    pub(crate) type Field<'a> = (&'a str, &'a str, Cardinality, Option<u32>, Option<u32>);

    pub(crate) fn one<'a>(name: &'a str, block: &'a str) -> Field<'a> {
        (name, block, Cardinality::One, None, None)
    }

    fn block_field((name, block, cardinality, min, max): Field<'_>) -> BlockField {
        BlockField {
            name: name.into(),
            blocks: vec![block.into()],
            cardinality,
            min_items: min,
            max_items: max,
            renamed_from: vec![],
        }
    }

    impl Cat {
        /// A product with text fixed inputs and root block fields.
        pub(crate) fn product(
            mut self,
            name: &str,
            product_type: &str,
            fixed_inputs: &[&str],
            roots: &[Field<'_>],
        ) -> Self {
            let block_fields: Vec<BlockField> = roots.iter().copied().map(block_field).collect();
            self.0.products.insert(
                name.into(),
                Product {
                    product_type: product_type.into(),
                    fixed_inputs: fixed_inputs
                        .iter()
                        .map(|f| {
                            (
                                (*f).to_owned(),
                                FixedInput {
                                    value: Some(format!("{f} of {name}")),
                                    value_type: Some(ValueType::of::<String>()),
                                    renamed_from: vec![],
                                },
                            )
                        })
                        .collect(),
                    blocks: roots.iter().map(|r| r.1.to_owned()).collect(),
                    block_fields,
                    description: Some(format!("{name} product")),
                    tag: Some("TAG".into()),
                    status: Some("active".into()),
                    subscriptions: 0,
                },
            );
            self
        }

        /// A block with single text resource types and block fields.
        pub(crate) fn block(mut self, name: &str, rts: &[&str], fields: &[Field<'_>]) -> Self {
            let block_fields: Vec<BlockField> = fields.iter().copied().map(block_field).collect();
            let depends_on = fields
                .iter()
                .map(|(_, child, cardinality, min, max)| {
                    let rel = if *cardinality == Cardinality::List {
                        Relation {
                            min: min.map(|n| n as i32),
                            max: max.map(|n| n as i32),
                        }
                    } else {
                        Relation::default()
                    };
                    ((*child).to_owned(), rel)
                })
                .collect();
            for rt in rts {
                self.0.resource_types.entry((*rt).to_owned()).or_default();
            }
            self.0.blocks.insert(
                name.into(),
                Block {
                    description: Some(format!("{name} block")),
                    tag: Some("B".into()),
                    status: Some("active".into()),
                    resource_types: rts
                        .iter()
                        .map(|rt| {
                            (
                                (*rt).to_owned(),
                                BlockResourceType {
                                    value_type: Some(ValueType::of::<String>()),
                                    cardinality: Some(Cardinality::One),
                                    always_required: true,
                                    renamed_from: vec![],
                                    required_from: None,
                                    values: 0,
                                },
                            )
                        })
                        .collect(),
                    depends_on,
                    block_fields,
                    ..Block::default()
                },
            );
            self
        }

        /// Makes a resource type of a block a list.
        pub(crate) fn list_rt(mut self, block: &str, rt: &str) -> Self {
            let r = self
                .0
                .blocks
                .get_mut(block)
                .unwrap()
                .resource_types
                .get_mut(rt)
                .unwrap();
            r.cardinality = Some(Cardinality::List);
            r.always_required = false;
            self
        }

        pub(crate) fn subscriptions(mut self, product: &str, n: u64) -> Self {
            self.0.products.get_mut(product).unwrap().subscriptions = n;
            self
        }

        pub(crate) fn instances(mut self, block: &str, n: u64) -> Self {
            self.0.blocks.get_mut(block).unwrap().instances = n;
            self
        }

        /// `n` values of `rt` on instances of `block`.
        pub(crate) fn values(mut self, block: &str, rt: &str, n: u64) -> Self {
            let b = self.0.blocks.get_mut(block).unwrap();
            b.resource_types.get_mut(rt).unwrap().values = n;
            self.0.resource_types.get_mut(rt).unwrap().values += n;
            self
        }

        /// Stored instance relations of `block` under field `attr`.
        pub(crate) fn relations(mut self, block: &str, attr: &str, n: u64) -> Self {
            self.0
                .blocks
                .get_mut(block)
                .unwrap()
                .relation_attributes
                .insert(attr.into(), n);
            self
        }

        /// `#[renamed_from = old]` on resource type `rt` of `block`.
        pub(crate) fn rt_renamed_from(mut self, block: &str, rt: &str, old: &str) -> Self {
            let b = self.0.blocks.get_mut(block).unwrap();
            b.resource_types.get_mut(rt).unwrap().renamed_from = vec![old.into()];
            self
        }

        /// `#[renamed_from = old]` on fixed input `fi` of `product`.
        pub(crate) fn fi_renamed_from(mut self, product: &str, fi: &str, old: &str) -> Self {
            let p = self.0.products.get_mut(product).unwrap();
            p.fixed_inputs.get_mut(fi).unwrap().renamed_from = vec![old.into()];
            self
        }

        /// `#[renamed_from = old]` on block field `field` of `block`.
        pub(crate) fn field_renamed_from(mut self, block: &str, field: &str, old: &str) -> Self {
            let b = self.0.blocks.get_mut(block).unwrap();
            let f = b.block_fields.iter_mut().find(|f| f.name == field).unwrap();
            f.renamed_from = vec![old.into()];
            self
        }

        pub(crate) fn build(self) -> Catalog {
            self.0
        }
    }

    fn s(v: &str) -> String {
        v.to_owned()
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (s(a), s(b))
    }

    fn triple(a: &str, b: &str, c: &str) -> (String, String, String) {
        (s(a), s(b), s(c))
    }

    fn diff_declared(desired: &Catalog, actual: &Catalog) -> Changes {
        diff(desired, actual, &Renames::declared(desired, actual))
    }

    /// The port catalogue of the integration tests (`tests/tests/change_kinds.rs`).
    pub(crate) fn ports() -> Cat {
        Cat::default()
            .product("port 10G", "Port", &["speed"], &[one("port", "PortBlock")])
            .product("port 1G", "Port", &["speed"], &[one("port", "PortBlock")])
            .product("lag", "Lag", &[], &[one("lag", "LagBlock")])
            .block("PortBlock", &["alias", "mtu"], &[])
            .block(
                "LagBlock",
                &["alias"],
                &[("members", "PortBlock", Cardinality::List, Some(2), Some(8))],
            )
    }

    #[test]
    fn identical_catalogs_have_no_changes() {
        let c = ports().build();
        let changes = diff_declared(&c, &c);
        assert!(changes.is_empty());
        assert_eq!(changes.len(), 0);
        assert!(rename_candidates(&c, &c, &Renames::default()).is_empty());
    }

    #[test]
    fn an_empty_database_gets_everything() {
        let desired = ports().build();
        let changes = diff_declared(&desired, &Catalog::default());
        assert_eq!(changes.create_products, ["lag", "port 10G", "port 1G"]);
        assert_eq!(
            changes.create_fixed_inputs,
            [pair("port 10G", "speed"), pair("port 1G", "speed")]
        );
        assert_eq!(changes.create_blocks, ["LagBlock", "PortBlock"]);
        assert_eq!(changes.create_resource_types, ["alias", "mtu"]);
        assert_eq!(
            changes.link_product_blocks,
            [
                pair("lag", "LagBlock"),
                pair("port 10G", "PortBlock"),
                pair("port 1G", "PortBlock")
            ]
        );
        assert_eq!(
            changes.link_block_relations,
            [(
                s("LagBlock"),
                s("PortBlock"),
                Relation {
                    min: Some(2),
                    max: Some(8)
                }
            )]
        );
        assert_eq!(
            changes.link_resource_types,
            [
                pair("LagBlock", "alias"),
                pair("PortBlock", "alias"),
                pair("PortBlock", "mtu")
            ]
        );
        assert_eq!(changes.len(), 16);
    }

    /// Every permutation of the same products and blocks, inserted into fresh catalogs in that
    /// order, with renames recorded in that order too, gives the same changes, each list sorted.
    #[test]
    fn the_diff_does_not_depend_on_insertion_order() {
        let products: Vec<(&str, &str, Vec<&str>, Vec<Field<'_>>)> = vec![
            ("d", "T1", vec!["x", "z"], vec![one("r", "B1")]),
            ("a", "T2", vec!["y"], vec![one("r", "B2")]),
            ("c", "T1", vec!["x", "w"], vec![one("r", "B1")]),
            ("b", "T3", vec![], vec![one("r", "B3"), one("s", "B1")]),
        ];
        let blocks: Vec<(&str, Vec<&str>, Vec<Field<'_>>)> = vec![
            ("B3", vec!["k", "v"], vec![one("c", "B2")]),
            ("B1", vec!["k", "n"], vec![]),
            ("B2", vec!["m"], vec![]),
        ];
        let actual = Cat::default()
            .product("a", "T2", &["old"], &[one("r", "B2")])
            .product("c", "T0", &["x"], &[])
            .product("gone", "T9", &[], &[one("r", "B9")])
            .block("B1", &["k", "old_n"], &[])
            .block("B9", &["q"], &[])
            .build();
        let mut results = Vec::new();
        let orders: [[usize; 4]; 6] = [
            [0, 1, 2, 3],
            [3, 2, 1, 0],
            [1, 3, 0, 2],
            [2, 0, 3, 1],
            [3, 0, 1, 2],
            [1, 0, 3, 2],
        ];
        for (n, order) in orders.iter().enumerate() {
            let mut cat = Cat::default();
            for i in order {
                let (name, ty, fis, roots) = &products[*i];
                cat = cat.product(name, ty, fis, roots);
            }
            for i in (0..blocks.len()).map(|i| (i + n) % blocks.len()) {
                let (name, rts, fields) = &blocks[i];
                cat = cat.block(name, rts, fields);
            }
            let desired = cat.rt_renamed_from("B1", "n", "old_n").build();
            let mut renames = Renames::declared(&desired, &actual);
            let answered = [("a", "old", "y")];
            for (p, from, to) in answered.iter().cycle().skip(n).take(answered.len()) {
                renames
                    .fixed_inputs
                    .entry(s(p))
                    .or_default()
                    .insert(s(from), s(to));
            }
            results.push(diff(&desired, &actual, &renames));
        }
        let first = &results[0];
        assert!(results.iter().all(|r| r == first), "{results:#?}");
        assert_eq!(first.rename_fixed_inputs, [triple("a", "old", "y")]);
        assert_eq!(first.rename_resource_types, [pair("old_n", "n")]);
        assert_eq!(first.delete_products, ["gone"]);
        assert_eq!(first.delete_blocks, ["B9"]);
        assert_eq!(first.delete_resource_types, ["q"]);
        assert_eq!(first.set_product_types, [pair("c", "T1")]);
        // every list is sorted
        let json = serde_json::to_value(first).unwrap();
        for (field, list) in json.as_object().unwrap() {
            let items: Vec<String> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|v| serde_json::to_string(v).unwrap())
                .collect();
            let mut sorted = items.clone();
            sorted.sort();
            assert_eq!(items, sorted, "{field} is sorted");
        }
    }

    /// orchestrator-core grouped changes with `itertools.groupby` on unsorted data and lost all
    /// but the last group of a name (B2). Here every (product, fixed input) and (owner, child)
    /// pair is its own change, whatever lies between them.
    #[test]
    fn a_name_shared_by_non_consecutive_owners_is_changed_for_each() {
        let actual = Cat::default()
            .product("a", "T1", &[], &[])
            .product("b", "T2", &[], &[])
            .product("c", "T1", &[], &[])
            .product("d", "T1", &[], &[])
            .block("X", &[], &[])
            .block("Y", &[], &[])
            .block("Z", &[], &[])
            .build();
        let desired = Cat::default()
            .product("a", "T1", &["x"], &[one("r", "X")])
            .product("b", "T2", &["y"], &[one("r", "Y")])
            .product("c", "T1", &["x"], &[one("r", "X")])
            .product("d", "T1", &["x"], &[one("r", "X")])
            .block("X", &["shared"], &[])
            .block("Y", &["other"], &[])
            .block("Z", &["shared"], &[])
            .build();
        let changes = diff_declared(&desired, &actual);
        assert_eq!(
            changes.create_fixed_inputs,
            [
                pair("a", "x"),
                pair("b", "y"),
                pair("c", "x"),
                pair("d", "x")
            ]
        );
        assert_eq!(
            changes.link_product_blocks,
            [
                pair("a", "X"),
                pair("b", "Y"),
                pair("c", "X"),
                pair("d", "X")
            ]
        );
        assert_eq!(
            changes.link_resource_types,
            [pair("X", "shared"), pair("Y", "other"), pair("Z", "shared")]
        );
        assert_eq!(changes.create_resource_types, ["other", "shared"]);
    }

    #[test]
    fn declared_renames_apply_only_from_an_old_name_in_the_database() {
        let actual = ports().relations("LagBlock", "members", 4).build();
        let desired = Cat(ports().0.clone())
            .product(
                "port 10G",
                "Port",
                &["bandwidth"],
                &[one("port", "PortBlock")],
            )
            .product(
                "port 1G",
                "Port",
                &["bandwidth"],
                &[one("port", "PortBlock")],
            )
            .fi_renamed_from("port 10G", "bandwidth", "speed")
            .fi_renamed_from("port 1G", "bandwidth", "never_there")
            .block(
                "LagBlock",
                &["alias"],
                &[("ports", "PortBlock", Cardinality::List, Some(2), Some(8))],
            )
            .field_renamed_from("LagBlock", "ports", "members")
            .build();
        let renames = Renames::declared(&desired, &actual);
        assert_eq!(
            renames.fixed_inputs,
            BTreeMap::from([(
                s("port 10G"),
                BTreeMap::from([(s("speed"), s("bandwidth"))])
            )])
        );
        assert_eq!(
            renames.relation_attributes,
            BTreeMap::from([(s("LagBlock"), BTreeMap::from([(s("members"), s("ports"))]))])
        );
        let changes = diff(&desired, &actual, &renames);
        assert_eq!(
            changes.rename_fixed_inputs,
            [triple("port 10G", "speed", "bandwidth")]
        );
        assert_eq!(changes.create_fixed_inputs, [pair("port 1G", "bandwidth")]);
        assert_eq!(changes.delete_fixed_inputs, [pair("port 1G", "speed")]);
        assert_eq!(
            changes.rename_relation_attributes,
            [triple("LagBlock", "members", "ports")]
        );
        // the undecided pair of "port 1G" is a rename candidate
        let candidates = rename_candidates(&desired, &actual, &renames);
        assert_eq!(
            candidates,
            [RenameCandidate {
                kind: RenameKind::FixedInput,
                owner: s("port 1G"),
                old: s("speed"),
                new: vec![s("bandwidth")],
            }]
        );
        let mut rejected = renames.clone();
        rejected.rejected.insert((s("port 1G"), s("speed")));
        assert!(rename_candidates(&desired, &actual, &rejected).is_empty());

        // once applied, nothing is renamed again
        let after = Cat(desired.clone())
            .relations("LagBlock", "ports", 4)
            .build();
        assert_eq!(Renames::declared(&desired, &after), Renames::default());
    }

    #[test]
    fn a_resource_type_renamed_on_every_block_that_has_it_is_renamed_globally() {
        let actual = ports().build();
        let desired = Cat(actual.clone())
            .block("PortBlock", &["alias", "max_frame"], &[])
            .rt_renamed_from("PortBlock", "max_frame", "mtu")
            .build();
        let changes = diff_declared(&desired, &actual);
        assert_eq!(changes.rename_resource_types, [pair("mtu", "max_frame")]);
        assert_eq!(changes.len(), 1, "{changes:?}");
    }

    #[test]
    fn a_resource_type_renamed_on_one_of_its_blocks_moves_that_blocks_values() {
        let actual = ports().build();
        let desired = Cat(actual.clone())
            .block("PortBlock", &["port_name", "mtu"], &[])
            .rt_renamed_from("PortBlock", "port_name", "alias")
            .build();
        let changes = diff_declared(&desired, &actual);
        assert_eq!(
            changes.move_resource_types,
            [triple("PortBlock", "alias", "port_name")]
        );
        assert_eq!(changes.create_resource_types, ["port_name"]);
        assert!(changes.rename_resource_types.is_empty());
        assert!(changes.unlink_resource_types.is_empty() && changes.link_resource_types.is_empty());
        assert_eq!(changes.len(), 2, "{changes:?}");
    }

    #[test]
    fn a_resource_type_renamed_into_two_names_keeps_its_row_for_one() {
        let actual = ports().build();
        // alias is on PortBlock and LagBlock; each block renames it to a name of its own
        let desired = Cat(actual.clone())
            .block("PortBlock", &["port_alias", "mtu"], &[])
            .rt_renamed_from("PortBlock", "port_alias", "alias")
            .block(
                "LagBlock",
                &["lag_alias"],
                &[("members", "PortBlock", Cardinality::List, Some(2), Some(8))],
            )
            .rt_renamed_from("LagBlock", "lag_alias", "alias")
            .build();
        let changes = diff_declared(&desired, &actual);
        // the row (id, description) goes to the first name on a tie; PortBlock's values move
        // from it, under its new name, to a new row
        assert_eq!(changes.rename_resource_types, [pair("alias", "lag_alias")]);
        assert_eq!(
            changes.move_resource_types,
            [triple("PortBlock", "lag_alias", "port_alias")]
        );
        assert_eq!(changes.create_resource_types, ["port_alias"]);
        assert!(changes.delete_resource_types.is_empty(), "{changes:?}");
        assert!(changes.unlink_resource_types.is_empty() && changes.link_resource_types.is_empty());
        assert_eq!(changes.len(), 3, "{changes:?}");
    }

    #[test]
    fn a_rename_onto_an_existing_resource_type_moves_values() {
        let actual = ports().block("VlanBlock", &["vid"], &[]).build();
        // PortBlock's mtu becomes vid, which VlanBlock has: not a global rename
        let desired = Cat(actual.clone())
            .block("PortBlock", &["alias", "vid"], &[])
            .build();
        let candidates = rename_candidates(&desired, &actual, &Renames::default());
        assert_eq!(
            candidates,
            [RenameCandidate {
                kind: RenameKind::ResourceType,
                owner: s("PortBlock"),
                old: s("mtu"),
                new: vec![s("vid")],
            }]
        );
        let mut renames = Renames::default();
        renames
            .resource_types
            .insert(s("PortBlock"), BTreeMap::from([(s("mtu"), s("vid"))]));
        let changes = diff(&desired, &actual, &renames);
        assert_eq!(
            changes.move_resource_types,
            [triple("PortBlock", "mtu", "vid")]
        );
        assert!(changes.rename_resource_types.is_empty());
        assert!(changes.create_resource_types.is_empty());
        assert_eq!(changes.delete_resource_types, ["mtu"], "no block uses mtu");
        assert_eq!(changes.len(), 2, "{changes:?}");
    }

    #[test]
    fn a_resource_type_is_deleted_only_when_no_block_uses_it() {
        let actual = ports().build();
        let desired = Cat(actual.clone())
            .block("PortBlock", &["mtu"], &[])
            .build();
        let changes = diff_declared(&desired, &actual);
        assert_eq!(changes.unlink_resource_types, [pair("PortBlock", "alias")]);
        assert!(
            changes.delete_resource_types.is_empty(),
            "LagBlock keeps alias"
        );
        let desired = Cat(actual.clone())
            .block("PortBlock", &["alias"], &[])
            .build();
        let changes = diff_declared(&desired, &actual);
        assert_eq!(changes.unlink_resource_types, [pair("PortBlock", "mtu")]);
        assert_eq!(changes.delete_resource_types, ["mtu"]);
    }

    #[test]
    fn new_and_removed_relations_and_bounds() {
        let actual = ports().block("VlanBlock", &["vid"], &[]).build();
        let desired = Cat(actual.clone())
            .block(
                "PortBlock",
                &["alias", "mtu"],
                &[("vlans", "VlanBlock", Cardinality::List, Some(1), None)],
            )
            .block(
                "LagBlock",
                &["alias"],
                &[("members", "PortBlock", Cardinality::List, Some(1), Some(4))],
            )
            .product("vlan", "Vlan", &[], &[one("vlan", "VlanBlock")])
            .build();
        let changes = diff_declared(&desired, &actual);
        assert_eq!(
            changes.link_block_relations,
            [(
                s("PortBlock"),
                s("VlanBlock"),
                Relation {
                    min: Some(1),
                    max: None
                }
            )]
        );
        assert_eq!(
            changes.set_relation_bounds,
            [(
                s("LagBlock"),
                s("PortBlock"),
                Relation {
                    min: Some(2),
                    max: Some(8)
                },
                Relation {
                    min: Some(1),
                    max: Some(4)
                }
            )]
        );
        let back = diff_declared(&actual, &desired);
        assert_eq!(
            back.unlink_block_relations,
            [pair("PortBlock", "VlanBlock")]
        );
        assert_eq!(back.delete_products, ["vlan"]);
    }
}
