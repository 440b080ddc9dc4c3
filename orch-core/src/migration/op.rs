//! The steps of a domain-model migration, as data.
//!
//! `orch-migrate generate` writes a migration as two lists of [`Op`]s (`UP` and `DOWN`) that a
//! person can read, review and edit. Every row is found by name when the step runs, never by an
//! id read while generating, so one migration works on every database and environment; and every
//! value is a bound parameter, so any text arrives in the database exactly.

use std::fmt;

/// One step of a domain-model migration.
///
/// Steps that create instances or values for existing subscriptions (`Backfill*`) compute the
/// affected rows when they run, set-based, so they cover subscriptions created after the
/// migration was generated.
///
/// `L` holds the elements of a list value: a `&'static [&'static str]` in a generated module
/// (a constant), a `Vec<String>` in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<S = &'static str, L = &'static [&'static str]> {
    /// Inserts a `products` row.
    CreateProduct {
        /// `products.name`, the registry key.
        name: S,
        /// `products.product_type`.
        product_type: S,
        /// `products.description`.
        description: S,
        /// `products.tag` (at most 20 characters).
        tag: S,
        /// `products.status` (a product lifecycle).
        status: S,
    },
    /// Deletes a product with its subscriptions (their instances, values and relations), the
    /// links of its processes to those subscriptions, and processes left with no subscription.
    DeleteProduct {
        /// `products.name`.
        name: S,
    },
    /// Changes the product type of a product (the registry maps its name to another type).
    SetProductType {
        /// `products.name`.
        name: S,
        /// The new `products.product_type`.
        product_type: S,
    },
    /// Inserts a `fixed_inputs` row.
    CreateFixedInput {
        /// The product's name.
        product: S,
        /// `fixed_inputs.name`: the field name on the product type.
        name: S,
        /// `fixed_inputs.value`, as stored.
        value: S,
    },
    /// Deletes a `fixed_inputs` row.
    DeleteFixedInput {
        /// The product's name.
        product: S,
        /// `fixed_inputs.name`.
        name: S,
    },
    /// Renames a fixed input of one product, keeping its value.
    RenameFixedInput {
        /// The product's name.
        product: S,
        /// The old name.
        from: S,
        /// The new name.
        to: S,
    },
    /// Inserts a `product_blocks` row.
    CreateProductBlock {
        /// `product_blocks.name`.
        name: S,
        /// `product_blocks.description`.
        description: S,
        /// `product_blocks.tag`.
        tag: Option<S>,
        /// `product_blocks.status`.
        status: Option<S>,
    },
    /// Deletes a product block with every instance of it (values and relations go with them).
    DeleteProductBlock {
        /// `product_blocks.name`.
        name: S,
    },
    /// Inserts a `resource_types` row.
    CreateResourceType {
        /// `resource_types.resource_type`.
        name: S,
        /// `resource_types.description`.
        description: Option<S>,
    },
    /// Deletes a resource type with every value of it.
    DeleteResourceType {
        /// `resource_types.resource_type`.
        name: S,
    },
    /// Renames a resource type everywhere, keeping its values and links.
    RenameResourceType {
        /// The old name.
        from: S,
        /// The new name.
        to: S,
    },
    /// Makes a block a root block of a product (`product_product_blocks`).
    LinkProductBlock {
        /// The product's name.
        product: S,
        /// The block's name.
        block: S,
    },
    /// Removes a root block from a product.
    UnlinkProductBlock {
        /// The product's name.
        product: S,
        /// The block's name.
        block: S,
    },
    /// Records that one block uses another (`product_block_relations`).
    LinkBlockRelation {
        /// The using (parent) block.
        in_use_by: S,
        /// The used (child) block.
        depends_on: S,
        /// Fewest child instances per parent, when the model bounds a list.
        min: Option<i32>,
        /// Most child instances per parent, when the model bounds a list.
        max: Option<i32>,
    },
    /// Removes a block relation.
    UnlinkBlockRelation {
        /// The using (parent) block.
        in_use_by: S,
        /// The used (child) block.
        depends_on: S,
    },
    /// Changes the bounds of a block relation.
    SetBlockRelationBounds {
        /// The using (parent) block.
        in_use_by: S,
        /// The used (child) block.
        depends_on: S,
        /// New lower bound.
        min: Option<i32>,
        /// New upper bound.
        max: Option<i32>,
    },
    /// Gives a block a resource type (`product_block_resource_types`).
    LinkResourceType {
        /// The block's name.
        block: S,
        /// The resource type's name.
        resource_type: S,
    },
    /// Takes a resource type from a block, deleting its values on that block's instances only.
    UnlinkResourceType {
        /// The block's name.
        block: S,
        /// The resource type's name.
        resource_type: S,
    },
    /// Replaces one resource type by another on one block, moving that block's values.
    MoveResourceType {
        /// The block's name.
        block: S,
        /// The resource type the block had.
        from: S,
        /// The resource type the block gets.
        to: S,
    },
    /// Gives every instance of a block that has no value of a resource type the value `value`.
    BackfillValue {
        /// The block's name.
        block: S,
        /// The resource type's name.
        resource_type: S,
        /// The stored value.
        value: S,
    },
    /// Gives every instance of a block whose subscription is in one of `lifecycles`, and that
    /// has no value of a resource type, the value `value`: a field required from provisioning
    /// or active gets a default only where its lifecycle requires it.
    BackfillValueIn {
        /// The block's name.
        block: S,
        /// The resource type's name.
        resource_type: S,
        /// The stored value.
        value: S,
        /// The subscription lifecycles (`subscriptions.status`) whose instances get it.
        lifecycles: L,
    },
    /// Gives every instance of a block that has no value of a list resource type the elements
    /// `values`, in that order (their value ids rise with the position, as a save writes them).
    BackfillValues {
        /// The block's name.
        block: S,
        /// The resource type's name.
        resource_type: S,
        /// The stored elements, in order.
        values: L,
    },
    /// Creates an instance of a root block for every subscription of a product that lacks one.
    BackfillRootInstances {
        /// The product's name.
        product: S,
        /// The block's name.
        block: S,
    },
    /// Creates `count` child instances under the field `attribute` of every instance of
    /// `parent` that has none there, owned by the parent's subscription.
    BackfillChildInstances {
        /// The parent block's name.
        parent: S,
        /// The child block's name.
        child: S,
        /// The parent's field name (`domain_model_attr`).
        attribute: S,
        /// How many children each parent gets (1 for a single block, the minimum for a list).
        count: u32,
    },
    /// Deletes the root instances of `block` owned by subscriptions of `product` (those no other
    /// instance uses); the reverse of `BackfillRootInstances`.
    DeleteRootInstances {
        /// The product's name.
        product: S,
        /// The block's name.
        block: S,
    },
    /// Removes what field `attribute` of every `parent` instance holds: child instances owned by
    /// the parent's subscription are deleted, blocks of other subscriptions only unlinked; the
    /// reverse of `BackfillChildInstances`.
    DeleteChildInstances {
        /// The parent block's name.
        parent: S,
        /// The child block's name.
        child: S,
        /// The parent's field name (`domain_model_attr`).
        attribute: S,
    },
    /// Renames a block field in the stored instance relations of one block.
    RenameRelationAttribute {
        /// The parent block's name.
        block: S,
        /// The old field name.
        from: S,
        /// The new field name.
        to: S,
    },
}

/// A step as a plan makes it, with owned names, values and lists.
pub type OwnedOp = Op<String, Vec<String>>;

impl<S, L> Op<S, L> {
    /// The variant's name, as a generated module spells it (`CreateProduct`): the renderer
    /// writes modules as text, and names each step with it.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::CreateProduct { .. } => "CreateProduct",
            Op::DeleteProduct { .. } => "DeleteProduct",
            Op::SetProductType { .. } => "SetProductType",
            Op::CreateFixedInput { .. } => "CreateFixedInput",
            Op::DeleteFixedInput { .. } => "DeleteFixedInput",
            Op::RenameFixedInput { .. } => "RenameFixedInput",
            Op::CreateProductBlock { .. } => "CreateProductBlock",
            Op::DeleteProductBlock { .. } => "DeleteProductBlock",
            Op::CreateResourceType { .. } => "CreateResourceType",
            Op::DeleteResourceType { .. } => "DeleteResourceType",
            Op::RenameResourceType { .. } => "RenameResourceType",
            Op::LinkProductBlock { .. } => "LinkProductBlock",
            Op::UnlinkProductBlock { .. } => "UnlinkProductBlock",
            Op::LinkBlockRelation { .. } => "LinkBlockRelation",
            Op::UnlinkBlockRelation { .. } => "UnlinkBlockRelation",
            Op::SetBlockRelationBounds { .. } => "SetBlockRelationBounds",
            Op::LinkResourceType { .. } => "LinkResourceType",
            Op::UnlinkResourceType { .. } => "UnlinkResourceType",
            Op::MoveResourceType { .. } => "MoveResourceType",
            Op::BackfillValue { .. } => "BackfillValue",
            Op::BackfillValueIn { .. } => "BackfillValueIn",
            Op::BackfillValues { .. } => "BackfillValues",
            Op::BackfillRootInstances { .. } => "BackfillRootInstances",
            Op::BackfillChildInstances { .. } => "BackfillChildInstances",
            Op::DeleteRootInstances { .. } => "DeleteRootInstances",
            Op::DeleteChildInstances { .. } => "DeleteChildInstances",
            Op::RenameRelationAttribute { .. } => "RenameRelationAttribute",
        }
    }
}

impl<S, L: AsRef<[S]>> Op<S, L> {
    /// The same step with every name and value converted by `f`, e.g. from owned strings (as
    /// the planner makes them) to `&str` (as the SQL builder takes them).
    pub fn map<'a, T>(&'a self, f: impl Fn(&'a S) -> T) -> Op<T, Vec<T>> {
        match self {
            Op::CreateProduct {
                name,
                product_type,
                description,
                tag,
                status,
            } => Op::CreateProduct {
                name: f(name),
                product_type: f(product_type),
                description: f(description),
                tag: f(tag),
                status: f(status),
            },
            Op::DeleteProduct { name } => Op::DeleteProduct { name: f(name) },
            Op::SetProductType { name, product_type } => Op::SetProductType {
                name: f(name),
                product_type: f(product_type),
            },
            Op::CreateFixedInput {
                product,
                name,
                value,
            } => Op::CreateFixedInput {
                product: f(product),
                name: f(name),
                value: f(value),
            },
            Op::DeleteFixedInput { product, name } => Op::DeleteFixedInput {
                product: f(product),
                name: f(name),
            },
            Op::RenameFixedInput { product, from, to } => Op::RenameFixedInput {
                product: f(product),
                from: f(from),
                to: f(to),
            },
            Op::CreateProductBlock {
                name,
                description,
                tag,
                status,
            } => Op::CreateProductBlock {
                name: f(name),
                description: f(description),
                tag: tag.as_ref().map(&f),
                status: status.as_ref().map(&f),
            },
            Op::DeleteProductBlock { name } => Op::DeleteProductBlock { name: f(name) },
            Op::CreateResourceType { name, description } => Op::CreateResourceType {
                name: f(name),
                description: description.as_ref().map(&f),
            },
            Op::DeleteResourceType { name } => Op::DeleteResourceType { name: f(name) },
            Op::RenameResourceType { from, to } => Op::RenameResourceType {
                from: f(from),
                to: f(to),
            },
            Op::LinkProductBlock { product, block } => Op::LinkProductBlock {
                product: f(product),
                block: f(block),
            },
            Op::UnlinkProductBlock { product, block } => Op::UnlinkProductBlock {
                product: f(product),
                block: f(block),
            },
            Op::LinkBlockRelation {
                in_use_by,
                depends_on,
                min,
                max,
            } => Op::LinkBlockRelation {
                in_use_by: f(in_use_by),
                depends_on: f(depends_on),
                min: *min,
                max: *max,
            },
            Op::UnlinkBlockRelation {
                in_use_by,
                depends_on,
            } => Op::UnlinkBlockRelation {
                in_use_by: f(in_use_by),
                depends_on: f(depends_on),
            },
            Op::SetBlockRelationBounds {
                in_use_by,
                depends_on,
                min,
                max,
            } => Op::SetBlockRelationBounds {
                in_use_by: f(in_use_by),
                depends_on: f(depends_on),
                min: *min,
                max: *max,
            },
            Op::LinkResourceType {
                block,
                resource_type,
            } => Op::LinkResourceType {
                block: f(block),
                resource_type: f(resource_type),
            },
            Op::UnlinkResourceType {
                block,
                resource_type,
            } => Op::UnlinkResourceType {
                block: f(block),
                resource_type: f(resource_type),
            },
            Op::MoveResourceType { block, from, to } => Op::MoveResourceType {
                block: f(block),
                from: f(from),
                to: f(to),
            },
            Op::BackfillValue {
                block,
                resource_type,
                value,
            } => Op::BackfillValue {
                block: f(block),
                resource_type: f(resource_type),
                value: f(value),
            },
            Op::BackfillValueIn {
                block,
                resource_type,
                value,
                lifecycles,
            } => Op::BackfillValueIn {
                block: f(block),
                resource_type: f(resource_type),
                value: f(value),
                lifecycles: lifecycles.as_ref().iter().map(&f).collect(),
            },
            Op::BackfillValues {
                block,
                resource_type,
                values,
            } => Op::BackfillValues {
                block: f(block),
                resource_type: f(resource_type),
                values: values.as_ref().iter().map(&f).collect(),
            },
            Op::BackfillRootInstances { product, block } => Op::BackfillRootInstances {
                product: f(product),
                block: f(block),
            },
            Op::BackfillChildInstances {
                parent,
                child,
                attribute,
                count,
            } => Op::BackfillChildInstances {
                parent: f(parent),
                child: f(child),
                attribute: f(attribute),
                count: *count,
            },
            Op::DeleteRootInstances { product, block } => Op::DeleteRootInstances {
                product: f(product),
                block: f(block),
            },
            Op::DeleteChildInstances {
                parent,
                child,
                attribute,
            } => Op::DeleteChildInstances {
                parent: f(parent),
                child: f(child),
                attribute: f(attribute),
            },
            Op::RenameRelationAttribute { block, from, to } => Op::RenameRelationAttribute {
                block: f(block),
                from: f(from),
                to: f(to),
            },
        }
    }
}

impl<S: fmt::Display + fmt::Debug, L> fmt::Display for Op<S, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::CreateProduct { name, .. } => write!(f, "create product {name:?}"),
            Op::DeleteProduct { name } => write!(f, "delete product {name:?}"),
            Op::SetProductType { name, product_type } => {
                write!(f, "set product type of {name:?} to {product_type:?}")
            }
            Op::CreateFixedInput {
                product,
                name,
                value,
            } => write!(
                f,
                "create fixed input {name:?} = {} on product {product:?}",
                Short(value)
            ),
            Op::DeleteFixedInput { product, name } => {
                write!(f, "delete fixed input {name:?} of product {product:?}")
            }
            Op::RenameFixedInput { product, from, to } => write!(
                f,
                "rename fixed input {from:?} to {to:?} on product {product:?}"
            ),
            Op::CreateProductBlock { name, .. } => write!(f, "create product block {name:?}"),
            Op::DeleteProductBlock { name } => write!(f, "delete product block {name:?}"),
            Op::CreateResourceType { name, .. } => write!(f, "create resource type {name:?}"),
            Op::DeleteResourceType { name } => write!(f, "delete resource type {name:?}"),
            Op::RenameResourceType { from, to } => {
                write!(f, "rename resource type {from:?} to {to:?}")
            }
            Op::LinkProductBlock { product, block } => {
                write!(f, "link product {product:?} to block {block:?}")
            }
            Op::UnlinkProductBlock { product, block } => {
                write!(f, "unlink product {product:?} from block {block:?}")
            }
            Op::LinkBlockRelation {
                in_use_by,
                depends_on,
                ..
            } => write!(f, "link block {in_use_by:?} to block {depends_on:?}"),
            Op::UnlinkBlockRelation {
                in_use_by,
                depends_on,
            } => write!(f, "unlink block {in_use_by:?} from block {depends_on:?}"),
            Op::SetBlockRelationBounds {
                in_use_by,
                depends_on,
                ..
            } => write!(f, "set bounds of relation {in_use_by:?} -> {depends_on:?}"),
            Op::LinkResourceType {
                block,
                resource_type,
            } => write!(f, "link resource type {resource_type:?} to block {block:?}"),
            Op::UnlinkResourceType {
                block,
                resource_type,
            } => write!(
                f,
                "unlink resource type {resource_type:?} from block {block:?}"
            ),
            Op::MoveResourceType { block, from, to } => write!(
                f,
                "replace resource type {from:?} by {to:?} on block {block:?}"
            ),
            Op::BackfillValue {
                block,
                resource_type,
                ..
            } => write!(
                f,
                "fill {resource_type:?} on existing instances of block {block:?}"
            ),
            Op::BackfillValueIn {
                block,
                resource_type,
                ..
            } => write!(
                f,
                "fill {resource_type:?} on existing instances of block {block:?} in the lifecycles given"
            ),
            Op::BackfillValues {
                block,
                resource_type,
                ..
            } => write!(
                f,
                "fill list {resource_type:?} on existing instances of block {block:?}"
            ),
            Op::BackfillRootInstances { product, block } => write!(
                f,
                "create block {block:?} for existing subscriptions of {product:?}"
            ),
            Op::BackfillChildInstances {
                parent,
                child,
                attribute,
                ..
            } => write!(
                f,
                "create block {child:?} as {parent}.{attribute} on existing instances"
            ),
            Op::DeleteRootInstances { product, block } => write!(
                f,
                "delete block {block:?} of the subscriptions of {product:?}"
            ),
            Op::DeleteChildInstances {
                parent,
                child,
                attribute,
            } => write!(f, "delete block {child:?} held as {parent}.{attribute}"),
            Op::RenameRelationAttribute { block, from, to } => write!(
                f,
                "rename relation {block}.{from} to {block}.{to} on existing instances"
            ),
        }
    }
}

/// A value in a step's description, cut to a readable length: an error line names the step,
/// and a 70 KB value would make it 70 KB long.
struct Short<'a, S>(&'a S);

impl<S: fmt::Debug> fmt::Display for Short<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 60;
        let text = format!("{:?}", self.0);
        match text.char_indices().nth(MAX) {
            Some((cut, _)) => write!(
                f,
                "{}...\" ({} characters)",
                &text[..cut],
                text.chars().count()
            ),
            None => f.write_str(&text),
        }
    }
}
