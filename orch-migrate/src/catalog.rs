//! The catalog: products, product blocks, resource types and their links, by name.
//!
//! Everything `generate` does is a comparison of two catalogs of this type: what the registered
//! models say ([`Catalog::from_registry`]) and what the database holds (`snapshot`). Fields that
//! only one side knows stay empty on the other: descriptions and counts come from the database,
//! value types and block fields from the models.

use std::collections::{BTreeMap, BTreeSet};

use orch_core::{
    BlockDescriptor, Cardinality, FieldDescriptor, Registry, SubscriptionLifecycle, ValueType,
};

/// Products, blocks and resource types by name. Ordered maps keep every output deterministic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// `products` by name.
    pub products: BTreeMap<String, Product>,
    /// `product_blocks` by name.
    pub blocks: BTreeMap<String, Block>,
    /// `resource_types` by name.
    pub resource_types: BTreeMap<String, ResourceType>,
}

/// A product: a `products` row, its fixed inputs and root blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Product {
    /// `products.product_type`.
    pub product_type: String,
    /// `products.description` (database only).
    pub description: Option<String>,
    /// `products.tag` (database only).
    pub tag: Option<String>,
    /// `products.status` (database only).
    pub status: Option<String>,
    /// Fixed inputs by name.
    pub fixed_inputs: BTreeMap<String, FixedInput>,
    /// Names of the root blocks (`product_product_blocks`).
    pub blocks: BTreeSet<String>,
    /// The product type's block fields (models only), for creating blocks of existing
    /// subscriptions.
    pub block_fields: Vec<BlockField>,
    /// Number of subscriptions (database only).
    pub subscriptions: u64,
}

/// A fixed input of a product.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FixedInput {
    /// `fixed_inputs.value` (database only).
    pub value: Option<String>,
    /// The field's value type (models only), to check answers.
    pub value_type: Option<ValueType>,
    /// Names the field had before (models only).
    pub renamed_from: Vec<String>,
}

/// A product block: a `product_blocks` row, its resource types and the blocks it uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    /// `product_blocks.description` (database only).
    pub description: Option<String>,
    /// `product_blocks.tag` (database only).
    pub tag: Option<String>,
    /// `product_blocks.status` (database only).
    pub status: Option<String>,
    /// Resource types by name (`product_block_resource_types`).
    pub resource_types: BTreeMap<String, BlockResourceType>,
    /// Used blocks by name (`product_block_relations`, this block being `in_use_by`).
    pub depends_on: BTreeMap<String, Relation>,
    /// The block's fields that hold blocks (models only).
    pub block_fields: Vec<BlockField>,
    /// Number of instances (database only).
    pub instances: u64,
    /// Field names found in this block's stored instance relations, with their number of rows
    /// (database only): which block fields existing instances already have.
    pub relation_attributes: BTreeMap<String, u64>,
}

/// A resource type as one block has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockResourceType {
    /// The field's value type (models only), to check default values.
    pub value_type: Option<ValueType>,
    /// The field's cardinality (models only): single fields need a value on existing instances.
    pub cardinality: Option<Cardinality>,
    /// Whether a single field is required in every lifecycle (models only): then an instance
    /// without a value is incomplete, not merely early in its life.
    pub always_required: bool,
    /// Names the field had before (models only).
    pub renamed_from: Vec<String>,
    /// The first lifecycle that requires a value (models only): a default for existing
    /// instances goes to those whose subscription is in a lifecycle that requires one.
    pub required_from: Option<SubscriptionLifecycle>,
    /// Number of values of this resource type on this block's instances (database only).
    pub values: u64,
}

/// A `product_block_relations` row.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Relation {
    /// `product_block_relations.min`.
    pub min: Option<i32>,
    /// `product_block_relations.max`.
    pub max: Option<i32>,
}

/// A `resource_types` row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceType {
    /// `resource_types.description` (database only).
    pub description: Option<String>,
    /// Number of values of this resource type (database only).
    pub values: u64,
}

/// A field of a product or block that holds blocks (models only).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockField {
    /// The field name (`domain_model_attr`).
    pub name: String,
    /// The block types it may hold.
    pub blocks: Vec<String>,
    /// One, optional or list.
    pub cardinality: Cardinality,
    /// A list's lower bound.
    pub min_items: Option<u32>,
    /// A list's upper bound.
    pub max_items: Option<u32>,
    /// Names the field had before.
    pub renamed_from: Vec<String>,
}

impl BlockField {
    fn from_descriptor(f: &FieldDescriptor) -> Self {
        Self {
            name: f.name.to_owned(),
            blocks: f.blocks().map(|b| b.name.to_owned()).collect(),
            cardinality: f.shape.cardinality,
            min_items: f.min_items,
            max_items: f.max_items,
            renamed_from: f.renamed_from.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// How many blocks an existing parent must get when this field is added: one for a single
    /// block, the minimum for a list, none for an optional block or a union (which member
    /// would be a guess).
    pub fn backfill_count(&self) -> u32 {
        if self.blocks.len() != 1 {
            return 0;
        }
        match self.cardinality {
            Cardinality::One => 1,
            Cardinality::Optional => 0,
            Cardinality::List => self.min_items.unwrap_or(0),
        }
    }
}

impl Catalog {
    /// What the registered models say.
    pub fn from_registry(registry: &Registry) -> Catalog {
        let mut catalog = Catalog::default();
        for p in registry.products() {
            let d = p.product_type;
            let block_fields: Vec<BlockField> =
                d.block_fields().map(BlockField::from_descriptor).collect();
            catalog.products.insert(
                p.name.to_owned(),
                Product {
                    product_type: d.product_type.to_owned(),
                    fixed_inputs: d
                        .fixed_inputs()
                        .map(|f| {
                            (
                                f.name.to_owned(),
                                FixedInput {
                                    value: None,
                                    value_type: f.value_type().copied(),
                                    renamed_from: f
                                        .renamed_from
                                        .iter()
                                        .map(|s| (*s).to_owned())
                                        .collect(),
                                },
                            )
                        })
                        .collect(),
                    blocks: block_fields
                        .iter()
                        .flat_map(|f| f.blocks.iter().cloned())
                        .collect(),
                    block_fields,
                    ..Product::default()
                },
            );
        }
        for b in registry.blocks() {
            catalog.add_block(b);
        }
        catalog
    }

    fn add_block(&mut self, b: &BlockDescriptor) {
        let block_fields: Vec<BlockField> =
            b.block_fields().map(BlockField::from_descriptor).collect();
        let mut depends_on: BTreeMap<String, Relation> = BTreeMap::new();
        for child in block_fields.iter().flat_map(|f| f.blocks.iter()) {
            let fields: Vec<&BlockField> = block_fields
                .iter()
                .filter(|f| f.blocks.contains(child))
                .collect();
            // bounds are only meaningful when a single list field holds the child
            let relation = match fields.as_slice() {
                [f] if f.cardinality == Cardinality::List => Relation {
                    min: f.min_items.map(|n| n as i32),
                    max: f.max_items.map(|n| n as i32),
                },
                _ => Relation::default(),
            };
            depends_on.insert(child.clone(), relation);
        }
        for rt in b.resource_types() {
            self.resource_types.entry(rt.name.to_owned()).or_default();
        }
        self.blocks.insert(
            b.name.to_owned(),
            Block {
                resource_types: b
                    .resource_types()
                    .map(|f| {
                        (
                            f.name.to_owned(),
                            BlockResourceType {
                                value_type: f.value_type().copied(),
                                cardinality: Some(f.shape.cardinality),
                                always_required: f.shape.cardinality == Cardinality::One
                                    && f.required_from == SubscriptionLifecycle::Initial,
                                renamed_from: f
                                    .renamed_from
                                    .iter()
                                    .map(|s| (*s).to_owned())
                                    .collect(),
                                required_from: Some(f.required_from),
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
    }
}
