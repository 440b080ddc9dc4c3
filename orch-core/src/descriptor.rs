//! Static descriptors of product blocks and product types.
//!
//! The macros turn every model into a `static` descriptor: plain data with names, fields, kinds,
//! value types, cardinalities and lifecycle requirements. Everything that compares models with a
//! database (the diff, migrations, the API) reads descriptors, never the Rust types, so it can
//! also run on descriptors built by hand in tests and benchmarks.

use std::fmt;

use crate::field::{Cardinality, FieldShape, ItemBounds, Target};
use crate::lifecycle::SubscriptionLifecycle;
use crate::value::ValueType;

/// One field of a block (a resource type or child block) or of a product (a fixed input or root
/// block).
#[derive(Debug, Clone, Copy)]
pub struct FieldDescriptor {
    /// The field name: the resource type or fixed input name, or the `domain_model_attr` of a
    /// block relation.
    pub name: &'static str,
    /// What the field's type says.
    pub shape: FieldShape,
    /// The first lifecycle in which a value is required; `Initial` means always (for
    /// `Cardinality::One`). Optional fields and lists are never required.
    pub required_from: SubscriptionLifecycle,
    /// Names this field had before (`#[renamed_from = "..."]`), newest first, so a migration can
    /// rename instead of dropping and re-creating.
    pub renamed_from: &'static [&'static str],
    /// Lower bound on a list's length (`#[items(min = ..)]`).
    pub min_items: Option<u32>,
    /// Upper bound on a list's length (`#[items(max = ..)]`).
    pub max_items: Option<u32>,
}

impl FieldDescriptor {
    /// A field with no attributes: always required if single, never renamed, unbounded.
    pub const fn new(name: &'static str, shape: FieldShape) -> Self {
        Self {
            name,
            shape,
            required_from: SubscriptionLifecycle::Initial,
            renamed_from: &[],
            min_items: None,
            max_items: None,
        }
    }

    /// Whether lifecycle `status` requires a value in this field.
    pub const fn is_required_in(&self, status: SubscriptionLifecycle) -> bool {
        matches!(self.shape.cardinality, Cardinality::One) && status.requires(self.required_from)
    }

    /// The list bounds of `#[items(min, max)]` (both `None` without the attribute).
    pub const fn items(&self) -> ItemBounds {
        ItemBounds {
            min: self.min_items,
            max: self.max_items,
        }
    }

    /// Whether this field holds blocks rather than values.
    pub const fn is_block(&self) -> bool {
        self.shape.target.is_block()
    }

    /// The value type of a resource type or fixed input.
    pub const fn value_type(&self) -> Option<&ValueType> {
        self.shape.target.value_type()
    }

    /// The descriptors of the blocks this field may hold.
    pub fn blocks(&self) -> impl Iterator<Item = &'static BlockDescriptor> + '_ {
        self.shape.target.blocks()
    }
}

/// A product block type, e.g. `UserBlock`: a row of `product_blocks` and its links.
#[derive(Debug)]
pub struct BlockDescriptor {
    /// The block name (`product_blocks.name`), given explicitly as in orchestrator-core.
    pub name: &'static str,
    /// The Rust type's name.
    pub rust_name: &'static str,
    /// The module that declares the Rust type.
    pub module_path: &'static str,
    /// Resource types and child block fields, in declaration order.
    pub fields: &'static [FieldDescriptor],
}

impl BlockDescriptor {
    /// The fields that are resource types.
    pub fn resource_types(&self) -> impl Iterator<Item = &FieldDescriptor> {
        self.fields.iter().filter(|f| !f.is_block())
    }

    /// The fields that hold child blocks.
    pub fn block_fields(&self) -> impl Iterator<Item = &FieldDescriptor> {
        self.fields.iter().filter(|f| f.is_block())
    }

    /// The Rust path of the type, for messages.
    pub fn rust_path(&self) -> RustPath<'_> {
        RustPath(self.module_path, self.rust_name)
    }
}

/// A product type, e.g. `User`: what every product registered for it shares.
#[derive(Debug)]
pub struct ProductTypeDescriptor {
    /// `products.product_type`.
    pub product_type: &'static str,
    /// The Rust type's name.
    pub rust_name: &'static str,
    /// The module that declares the Rust type.
    pub module_path: &'static str,
    /// Fixed inputs and root block fields, in declaration order.
    pub fields: &'static [FieldDescriptor],
}

impl ProductTypeDescriptor {
    /// The fields that are fixed inputs.
    pub fn fixed_inputs(&self) -> impl Iterator<Item = &FieldDescriptor> {
        self.fields.iter().filter(|f| !f.is_block())
    }

    /// The fields that hold root blocks.
    pub fn block_fields(&self) -> impl Iterator<Item = &FieldDescriptor> {
        self.fields.iter().filter(|f| f.is_block())
    }

    /// The Rust path of the type, for messages.
    pub fn rust_path(&self) -> RustPath<'_> {
        RustPath(self.module_path, self.rust_name)
    }
}

/// `module::Type`, for messages that must tell two types apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RustPath<'a>(pub &'a str, pub &'a str);

impl fmt::Display for RustPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.0, self.1)
    }
}

/// Checks for the code the macros generate, evaluated at compile time; not a stable API.
#[doc(hidden)]
pub mod check {
    use super::*;
    use crate::model::ProductBlock;

    /// A fixed input must be a single value.
    pub const fn fixed_input(shape: FieldShape) -> bool {
        match shape.target {
            Target::Value(_) => matches!(shape.cardinality, Cardinality::One),
            Target::Blocks { .. } => true,
        }
    }

    /// `#[required_from]` only makes sense on a single value or block.
    pub const fn single(shape: FieldShape) -> bool {
        matches!(shape.cardinality, Cardinality::One)
    }

    /// `#[items]` only makes sense on a list.
    pub const fn list(shape: FieldShape) -> bool {
        matches!(shape.cardinality, Cardinality::List)
    }

    /// A product field with `#[required_from]` must be a block.
    pub const fn block(shape: FieldShape) -> bool {
        shape.target.is_block()
    }

    /// What a `#[block_union]` variant may hold: one product block type.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a product block",
        label = "not a product block",
        note = "each variant of a `#[block_union]` holds exactly one `#[product_block]` type: not a value type, an `Option`, a `Vec` or another union"
    )]
    pub trait UnionMember: ProductBlock {}

    impl<T: ProductBlock> UnionMember for T {}

    /// Fails to compile unless `T` can be a `#[block_union]` variant.
    pub const fn union_member<T: UnionMember>() {}
}
