//! Fields of product blocks and products: what a field's Rust type says about it.
//!
//! A macro cannot see whether `group: UserGroupBlock` names a block or a value type. It does not
//! need to: every field type implements [`Field`], which says what the field is
//! ([`Field::SHAPE`]), what it becomes in another lifecycle ([`Field::At`]: a value stays itself,
//! a block `B` becomes `B<L>`), and how to clone, compare, print and convert it in any lifecycle.
//! Values get `Field` from [`FieldValue`]; blocks and unions get it from their macro; `Option`
//! and `Vec` wrap either.

use std::fmt;

use crate::descriptor::BlockDescriptor;
use crate::lifecycle::{Lifecycle, Missing, SubscriptionLifecycle};
use crate::subscription::rows::{Item, ReadCx, Writer};
use crate::value::{FieldValue, ValueType};

/// How many values or blocks a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cardinality {
    /// Exactly one (possibly only from some lifecycle on, see `required_from`).
    One,
    /// Zero or one (`Option<T>`).
    Optional,
    /// An ordered list (`Vec<T>`), optionally bounded by `#[items(min, max)]`.
    List,
}

/// A reference to a block's descriptor.
///
/// The macros refer to a block through a function returning its descriptor, so that blocks can
/// refer to each other (and to themselves) without a cycle in constant evaluation; descriptors
/// built at run time (synthetic registries in benchmarks and tests) refer to each other directly.
#[derive(Clone, Copy)]
pub struct BlockRef(BlockRefInner);

#[derive(Clone, Copy)]
enum BlockRefInner {
    Fn(fn() -> &'static BlockDescriptor),
    Static(&'static BlockDescriptor),
}

impl BlockRef {
    /// A block given by the function that returns its descriptor (what the macros emit).
    pub const fn new(descriptor: fn() -> &'static BlockDescriptor) -> Self {
        Self(BlockRefInner::Fn(descriptor))
    }

    /// A block given by its descriptor.
    pub const fn to(descriptor: &'static BlockDescriptor) -> Self {
        Self(BlockRefInner::Static(descriptor))
    }

    /// The descriptor.
    pub fn get(&self) -> &'static BlockDescriptor {
        match self.0 {
            BlockRefInner::Fn(f) => f(),
            BlockRefInner::Static(d) => d,
        }
    }
}

/// What a field refers to.
#[derive(Clone, Copy)]
pub enum Target {
    /// A resource type (on a block) or fixed input (on a product) with this value type.
    Value(ValueType),
    /// One product block type, or a union of several.
    Blocks {
        /// The name of the union's Rust type, when the field is a union of block types.
        union: Option<&'static str>,
        /// The block types the field may hold.
        members: &'static [BlockRef],
    },
}

impl Target {
    /// The value type, if the field holds values.
    pub const fn value_type(&self) -> Option<&ValueType> {
        match self {
            Target::Value(v) => Some(v),
            Target::Blocks { .. } => None,
        }
    }

    /// Whether the field holds product blocks.
    pub const fn is_block(&self) -> bool {
        matches!(self, Target::Blocks { .. })
    }

    /// The descriptors of the block types the field may hold (empty for values).
    pub fn blocks(&self) -> impl Iterator<Item = &'static BlockDescriptor> + '_ {
        let members: &[BlockRef] = match self {
            Target::Value(_) => &[],
            Target::Blocks { members, .. } => members,
        };
        members.iter().map(BlockRef::get)
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Value(v) => f.debug_tuple("Value").field(v).finish(),
            Target::Blocks { union, .. } => f
                .debug_struct("Blocks")
                .field("union", union)
                .field(
                    "members",
                    &self.blocks().map(|b| b.name).collect::<Vec<_>>(),
                )
                .finish(),
        }
    }
}

/// What a field's type says: cardinality and target.
#[derive(Debug, Clone, Copy)]
pub struct FieldShape {
    /// One, optional or list.
    pub cardinality: Cardinality,
    /// Values of a type, or blocks.
    pub target: Target,
}

impl FieldShape {
    /// A single value of type `T`.
    pub const fn value<T: FieldValue>() -> Self {
        Self {
            cardinality: Cardinality::One,
            target: Target::Value(ValueType::of::<T>()),
        }
    }

    /// A single block or union of blocks.
    pub const fn blocks(union: Option<&'static str>, members: &'static [BlockRef]) -> Self {
        Self {
            cardinality: Cardinality::One,
            target: Target::Blocks { union, members },
        }
    }

    /// The same target with another cardinality.
    pub const fn with_cardinality(self, cardinality: Cardinality) -> Self {
        Self {
            cardinality,
            target: self.target,
        }
    }
}

/// The path of the field being converted, every required field found missing, and every list
/// found outside its `#[items]` bounds.
#[derive(Debug, Default)]
pub struct ConvertCx {
    path: Vec<String>,
    missing: Vec<String>,
    invalid: Vec<String>,
}

impl ConvertCx {
    /// Runs `f` for the field or list index `segment`, so that missing fields below it are
    /// reported with their full path (`user.group.group_id`).
    pub fn at<R>(&mut self, segment: impl fmt::Display, f: impl FnOnce(&mut Self) -> R) -> R {
        self.enter(segment);
        let r = f(self);
        self.leave();
        r
    }

    /// Starts field or index `segment`, until [`leave`](Self::leave): what `at` does without a
    /// closure, for generated code, where a closure per field costs the compiler a body of its
    /// own to check.
    pub fn enter(&mut self, segment: impl fmt::Display) {
        self.path.push(segment.to_string());
    }

    /// Ends the segment [`enter`](Self::enter) started.
    pub fn leave(&mut self) {
        self.path.pop();
    }

    /// Records that the current field is required but absent.
    pub fn missing(&mut self) {
        self.missing.push(self.path.join("."));
    }

    /// Records a problem with the current field's value that no lifecycle fixes, such as a list
    /// outside its bounds; the message is prefixed with the field's path.
    pub fn invalid(&mut self, message: impl fmt::Display) {
        self.invalid
            .push(format!("{}: {message}", self.path.join(".")));
    }

    /// Whether nothing was found missing or invalid.
    pub fn is_ok(&self) -> bool {
        self.missing.is_empty() && self.invalid.is_empty()
    }

    /// The missing fields found so far, in field order.
    pub fn into_missing(self) -> Vec<String> {
        self.missing
    }

    /// The missing fields and the other problems found so far, each in field order.
    pub fn into_parts(self) -> (Vec<String>, Vec<String>) {
        (self.missing, self.invalid)
    }
}

/// The bounds `#[items(min = .., max = ..)]` puts on a list field's length.
///
/// orchestrator-core declares them as `Annotated[list[SI], Len(min_length=2, max_length=8)]`
/// and checks them in every lifecycle; so does orch: when a value moves between lifecycles
/// (`into_lifecycle`, `transition`), in `validate`, when it is saved and when it is loaded. The
/// migration generator writes them into `product_block_relations.min`/`max`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ItemBounds {
    /// The fewest items allowed.
    pub min: Option<u32>,
    /// The most items allowed.
    pub max: Option<u32>,
}

impl ItemBounds {
    /// Whether a list of `n` items is within the bounds.
    pub const fn allows(&self, n: usize) -> bool {
        let above_min = match self.min {
            Some(min) => n >= min as usize,
            None => true,
        };
        let below_max = match self.max {
            Some(max) => n <= max as usize,
            None => true,
        };
        above_min && below_max
    }

    /// `Ok` when a list of `n` items fits, else the message for the field's path:
    /// `1 item, expected 2 to 8`.
    pub fn check(&self, n: usize) -> Result<(), String> {
        if self.allows(n) {
            Ok(())
        } else {
            let s = if n == 1 { "" } else { "s" };
            Err(format!("{n} item{s}, expected {self}"))
        }
    }
}

impl fmt::Display for ItemBounds {
    /// `exactly 2`, `2 to 8`, `at least 2`, `at most 8` or `any number`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (Some(min), Some(max)) if min == max => write!(f, "exactly {min}"),
            (Some(min), Some(max)) => write!(f, "{min} to {max}"),
            (Some(min), None) => write!(f, "at least {min}"),
            (None, Some(max)) => write!(f, "at most {max}"),
            (None, None) => f.write_str("any number"),
        }
    }
}

/// A type that a product block or product field can have.
///
/// Implemented for every [`FieldValue`], for `Option<T>` and `Vec<T>` of a single value or block,
/// and by `#[product_block]` and `#[block_union]` for their types. The `*_at` methods work in any
/// lifecycle `L`, which lets the generated `Clone`, `PartialEq`, `Debug` and JSON code work for
/// every lifecycle without extra bounds.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a resource type nor a product block",
    label = "not a value type or product block",
    note = "a field's type must be a value type (String, an integer, bool, f64, Uuid, an enum with `#[derive(FieldValue)]`, a type implementing `FieldValue`), a `#[product_block]`, a `#[block_union]`, or an `Option`/`Vec` of one of those; a block or union with errors in its own fields is none of these until they are fixed"
)]
pub trait Field: Sized + 'static {
    /// This field's type in lifecycle `L`.
    type At<L: Lifecycle>;
    /// What the type says about the field.
    const SHAPE: FieldShape;
    /// Whether `from_product` can make this field's value for a new subscription without a
    /// person: not for a value or union every lifecycle requires, nor for a block that requires
    /// one. `#[product]` refuses at compile time a root block that cannot be made.
    const CREATABLE: bool = true;

    /// Clones a value of this field in lifecycle `L`.
    fn clone_at<L: Lifecycle>(v: &Self::At<L>) -> Self::At<L>;
    /// Compares two values of this field in lifecycle `L`.
    fn eq_at<L: Lifecycle>(a: &Self::At<L>, b: &Self::At<L>) -> bool;
    /// Formats a value of this field in lifecycle `L`.
    fn debug_at<L: Lifecycle>(v: &Self::At<L>, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// The value as JSON, in orchestrator-core's `model_dump` shape.
    fn to_json_at<L: Lifecycle>(v: &Self::At<L>) -> serde_json::Value;
    /// Moves a value from lifecycle `L` to `M`, recording missing required fields in `cx`;
    /// `None` when something below is missing.
    fn convert_at<L: Lifecycle, M: Lifecycle>(
        v: Self::At<L>,
        cx: &mut ConvertCx,
    ) -> Option<Self::At<M>>;
    /// Writes the field's values or blocks as rows.
    fn write_at<L: Lifecycle>(v: &Self::At<L>, w: &mut Writer);
    /// Reads the field from its stored items (values or child instances), recording problems
    /// in `cx`; `None` when something is wrong.
    fn read_at<L: Lifecycle>(items: &[Item<'_>], cx: &mut ReadCx) -> Option<Self::At<L>>;
    /// The field's value in a new subscription: `None` (recorded in `cx`) when the field needs a
    /// value that only a person can give. Lists of blocks get `min_items` new blocks.
    fn initial_at<L: Lifecycle>(min_items: u32, cx: &mut ConvertCx) -> Option<Self::At<L>>;
    /// Makes this subscription (`owner`) the owner of every new block in the field, after a save.
    fn claim_at<L: Lifecycle>(v: &mut Self::At<L>, owner: uuid::Uuid);
    /// How many values or blocks the field holds: the length of a list, 0 or 1 for an optional
    /// field, 1 otherwise. What `#[items(min, max)]` bounds are checked against.
    fn count_at<L: Lifecycle>(_: &Self::At<L>) -> usize {
        1
    }
}

/// A field type that holds exactly one value or block: what `Option` and `Vec` may wrap.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be wrapped in `Option` or `Vec` here",
    note = "`Option` and `Vec` wrap a single value type or product block; they cannot be nested"
)]
pub trait Single: Field {
    /// Reads one stored item.
    fn read_one<L: Lifecycle>(item: Item<'_>, cx: &mut ReadCx) -> Option<Self::At<L>>;
    /// A new value for a new subscription, if one can be made without a person.
    fn initial_one<L: Lifecycle>(cx: &mut ConvertCx) -> Option<Self::At<L>>;
}

/// Reads a field that holds exactly one item.
pub fn read_exactly_one<T: Single, L: Lifecycle>(
    items: &[Item<'_>],
    cx: &mut ReadCx,
) -> Option<T::At<L>> {
    match items {
        [item] => T::read_one::<L>(*item, cx),
        [] => {
            cx.error("Required subscription value is missing in database");
            None
        }
        _ => {
            cx.error(format!("expected one item, found {}", items.len()));
            None
        }
    }
}

impl<T: FieldValue> Field for T {
    type At<L: Lifecycle> = T;
    const SHAPE: FieldShape = FieldShape::value::<T>();
    // only a person (or the product, for a fixed input) can give a value
    const CREATABLE: bool = false;

    fn clone_at<L: Lifecycle>(v: &T) -> T {
        v.clone()
    }
    fn eq_at<L: Lifecycle>(a: &T, b: &T) -> bool {
        a == b
    }
    fn debug_at<L: Lifecycle>(v: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(v, f)
    }
    fn to_json_at<L: Lifecycle>(v: &T) -> serde_json::Value {
        v.to_json()
    }
    fn convert_at<L: Lifecycle, M: Lifecycle>(v: T, _: &mut ConvertCx) -> Option<T> {
        Some(v)
    }
    fn write_at<L: Lifecycle>(v: &T, w: &mut Writer) {
        w.value(v.to_stored());
    }
    fn read_at<L: Lifecycle>(items: &[Item<'_>], cx: &mut ReadCx) -> Option<T> {
        read_exactly_one::<T, L>(items, cx)
    }
    fn initial_at<L: Lifecycle>(_: u32, cx: &mut ConvertCx) -> Option<T> {
        T::initial_one::<L>(cx)
    }
    fn claim_at<L: Lifecycle>(_: &mut T, _: uuid::Uuid) {}
}

impl<T: FieldValue> Single for T {
    fn read_one<L: Lifecycle>(item: Item<'_>, cx: &mut ReadCx) -> Option<T> {
        match item {
            Item::Value(s) => match T::from_stored(s) {
                Ok(v) => Some(v),
                Err(e) => {
                    cx.error(e);
                    None
                }
            },
            Item::Block(node) => {
                cx.error(format!(
                    "expected a value, found an instance of block {}",
                    node.instance.block
                ));
                None
            }
        }
    }
    fn initial_one<L: Lifecycle>(cx: &mut ConvertCx) -> Option<T> {
        // a value required in every lifecycle has no default: a person must give it
        cx.missing();
        None
    }
}

impl<T: Single> Field for Option<T> {
    type At<L: Lifecycle> = Option<T::At<L>>;
    const SHAPE: FieldShape = T::SHAPE.with_cardinality(Cardinality::Optional);

    fn clone_at<L: Lifecycle>(v: &Self::At<L>) -> Self::At<L> {
        v.as_ref().map(T::clone_at::<L>)
    }
    fn eq_at<L: Lifecycle>(a: &Self::At<L>, b: &Self::At<L>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => T::eq_at::<L>(a, b),
            (None, None) => true,
            _ => false,
        }
    }
    fn debug_at<L: Lifecycle>(v: &Self::At<L>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match v {
            Some(v) => f.debug_tuple("Some").field(&DebugAt::<T, L>(v)).finish(),
            None => f.write_str("None"),
        }
    }
    fn to_json_at<L: Lifecycle>(v: &Self::At<L>) -> serde_json::Value {
        v.as_ref()
            .map_or(serde_json::Value::Null, T::to_json_at::<L>)
    }
    fn convert_at<L: Lifecycle, M: Lifecycle>(
        v: Self::At<L>,
        cx: &mut ConvertCx,
    ) -> Option<Self::At<M>> {
        match v {
            Some(v) => T::convert_at::<L, M>(v, cx).map(Some),
            None => Some(None),
        }
    }
    fn write_at<L: Lifecycle>(v: &Self::At<L>, w: &mut Writer) {
        if let Some(v) = v {
            T::write_at::<L>(v, w);
        }
    }
    fn read_at<L: Lifecycle>(items: &[Item<'_>], cx: &mut ReadCx) -> Option<Self::At<L>> {
        match items {
            [] => Some(None),
            [item] => T::read_one::<L>(*item, cx).map(Some),
            _ => {
                cx.error(format!("expected at most one item, found {}", items.len()));
                None
            }
        }
    }
    fn initial_at<L: Lifecycle>(_: u32, _: &mut ConvertCx) -> Option<Self::At<L>> {
        Some(None)
    }
    fn claim_at<L: Lifecycle>(v: &mut Self::At<L>, owner: uuid::Uuid) {
        if let Some(v) = v {
            T::claim_at::<L>(v, owner);
        }
    }
    fn count_at<L: Lifecycle>(v: &Self::At<L>) -> usize {
        usize::from(v.is_some())
    }
}

impl<T: Single> Field for Vec<T> {
    type At<L: Lifecycle> = Vec<T::At<L>>;
    const SHAPE: FieldShape = T::SHAPE.with_cardinality(Cardinality::List);
    // what a list with a minimum needs: that many new elements
    const CREATABLE: bool = T::CREATABLE;

    fn clone_at<L: Lifecycle>(v: &Self::At<L>) -> Self::At<L> {
        v.iter().map(T::clone_at::<L>).collect()
    }
    fn eq_at<L: Lifecycle>(a: &Self::At<L>, b: &Self::At<L>) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(a, b)| T::eq_at::<L>(a, b))
    }
    fn debug_at<L: Lifecycle>(v: &Self::At<L>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(v.iter().map(DebugAt::<T, L>))
            .finish()
    }
    fn to_json_at<L: Lifecycle>(v: &Self::At<L>) -> serde_json::Value {
        serde_json::Value::Array(v.iter().map(T::to_json_at::<L>).collect())
    }
    fn convert_at<L: Lifecycle, M: Lifecycle>(
        v: Self::At<L>,
        cx: &mut ConvertCx,
    ) -> Option<Self::At<M>> {
        let items: Vec<_> = v
            .into_iter()
            .enumerate()
            .map(|(i, v)| cx.at(i, |cx| T::convert_at::<L, M>(v, cx)))
            .collect();
        items.into_iter().collect()
    }
    fn write_at<L: Lifecycle>(v: &Self::At<L>, w: &mut Writer) {
        for (i, item) in v.iter().enumerate() {
            w.at(i, |w| T::write_at::<L>(item, w));
        }
    }
    fn read_at<L: Lifecycle>(items: &[Item<'_>], cx: &mut ReadCx) -> Option<Self::At<L>> {
        let read: Vec<_> = items
            .iter()
            .enumerate()
            .map(|(i, item)| cx.at(i, |cx| T::read_one::<L>(*item, cx)))
            .collect();
        read.into_iter().collect()
    }
    fn initial_at<L: Lifecycle>(min_items: u32, cx: &mut ConvertCx) -> Option<Self::At<L>> {
        let items: Vec<_> = (0..min_items)
            .map(|i| cx.at(i, |cx| T::initial_one::<L>(cx)))
            .collect();
        items.into_iter().collect()
    }
    fn claim_at<L: Lifecycle>(v: &mut Self::At<L>, owner: uuid::Uuid) {
        for item in v {
            T::claim_at::<L>(item, owner);
        }
    }
    fn count_at<L: Lifecycle>(v: &Self::At<L>) -> usize {
        v.len()
    }
}

/// Formats a field value in lifecycle `L` through [`Field::debug_at`].
pub struct DebugAt<'a, F: Field, L: Lifecycle>(pub &'a F::At<L>);

impl<F: Field, L: Lifecycle> fmt::Debug for DebugAt<'_, F, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        F::debug_at::<L>(self.0, f)
    }
}

/// Helpers for the code `#[required_from(...)]` generates; not a stable API.
#[doc(hidden)]
pub mod required {
    use super::*;

    macro_rules! stage {
        ($stage:ident, $ty:ident, $into:ident, $as_ref:ident, $as_mut:ident, $from:ident) => {
            /// Helpers for one stage.
            pub mod $stage {
                use super::*;

                /// Clones the field.
                pub fn clone_at<F: Field, L: Lifecycle>(v: &L::$ty<F::At<L>>) -> L::$ty<F::At<L>> {
                    match L::$from(L::$as_ref(v).map(F::clone_at::<L>)) {
                        Ok(v) => v,
                        Err(Missing) => unreachable!("a present value stays present"),
                    }
                }
                /// Compares the field.
                pub fn eq_at<F: Field, L: Lifecycle>(
                    a: &L::$ty<F::At<L>>,
                    b: &L::$ty<F::At<L>>,
                ) -> bool {
                    match (L::$as_ref(a), L::$as_ref(b)) {
                        (Some(a), Some(b)) => F::eq_at::<L>(a, b),
                        (None, None) => true,
                        _ => false,
                    }
                }
                /// Formats the field.
                pub fn debug_at<F: Field, L: Lifecycle>(
                    v: &L::$ty<F::At<L>>,
                    f: &mut fmt::Formatter<'_>,
                ) -> fmt::Result {
                    match L::$as_ref(v) {
                        Some(v) => F::debug_at::<L>(v, f),
                        None => f.write_str("None"),
                    }
                }
                /// The field, formatted by [`debug_at`]: what a generated `Debug` impl prints.
                pub struct DebugAt<'a, F: Field, L: Lifecycle>(pub &'a L::$ty<F::At<L>>);

                impl<F: Field, L: Lifecycle> fmt::Debug for DebugAt<'_, F, L> {
                    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        debug_at::<F, L>(self.0, f)
                    }
                }
                /// The field as JSON (`null` when absent).
                pub fn to_json_at<F: Field, L: Lifecycle>(
                    v: &L::$ty<F::At<L>>,
                ) -> serde_json::Value {
                    L::$as_ref(v).map_or(serde_json::Value::Null, F::to_json_at::<L>)
                }
                /// Writes the field's rows.
                pub fn write_at<F: Field, L: Lifecycle>(v: &L::$ty<F::At<L>>, w: &mut Writer) {
                    if let Some(v) = L::$as_ref(v) {
                        F::write_at::<L>(v, w);
                    }
                }
                /// Reads the field: absent is fine until the lifecycle requires it.
                pub fn read_at<F: Single, L: Lifecycle>(
                    items: &[Item<'_>],
                    cx: &mut ReadCx,
                ) -> Option<L::$ty<F::At<L>>> {
                    let value = match items {
                        [] => None,
                        [item] => Some(F::read_one::<L>(*item, cx)?),
                        _ => {
                            cx.error(format!("expected at most one item, found {}", items.len()));
                            return None;
                        }
                    };
                    match L::$from(value) {
                        Ok(v) => Some(v),
                        Err(Missing) => {
                            cx.error(format!(
                                "Required subscription value is missing in database (required in lifecycle {})",
                                L::STATUS
                            ));
                            None
                        }
                    }
                }
                /// The field in a new subscription: absent while the lifecycle allows it.
                pub fn initial_at<F: Single, L: Lifecycle>(
                    cx: &mut ConvertCx,
                ) -> Option<L::$ty<F::At<L>>> {
                    match L::$from(None) {
                        Ok(v) => Some(v),
                        Err(Missing) => match L::$from(Some(F::initial_one::<L>(cx)?)) {
                            Ok(v) => Some(v),
                            Err(Missing) => unreachable!("a present value satisfies every lifecycle"),
                        },
                    }
                }
                /// Claims the field's new blocks for `owner`.
                pub fn claim_at<F: Field, L: Lifecycle>(v: &mut L::$ty<F::At<L>>, owner: uuid::Uuid) {
                    if let Some(v) = L::$as_mut(v) {
                        F::claim_at::<L>(v, owner);
                    }
                }
                /// Moves the field from `L` to `M`.
                pub fn convert_at<F: Field, L: Lifecycle, M: Lifecycle>(
                    v: L::$ty<F::At<L>>,
                    cx: &mut ConvertCx,
                ) -> Option<M::$ty<F::At<M>>> {
                    let value = match L::$into(v) {
                        Some(v) => Some(F::convert_at::<L, M>(v, cx)?),
                        None => None,
                    };
                    match M::$from(value) {
                        Ok(v) => Some(v),
                        Err(Missing) => {
                            cx.missing();
                            None
                        }
                    }
                }
            }
        };
    }
    stage!(
        provisioning,
        FromProvisioning,
        provisioning_into_option,
        provisioning_as_ref,
        provisioning_as_mut,
        provisioning_from_option
    );
    stage!(
        active,
        FromActive,
        active_into_option,
        active_as_ref,
        active_as_mut,
        active_from_option
    );
}

/// Helpers for the code `#[items(min, max)]` generates; not a stable API.
#[doc(hidden)]
pub mod items {
    use super::*;

    /// Records a list outside its bounds, before it is converted (converting does not change
    /// its length, and may stop early at a missing field below).
    pub fn convert_at<F: Field, L: Lifecycle>(
        v: &F::At<L>,
        bounds: ItemBounds,
        cx: &mut ConvertCx,
    ) {
        if let Err(message) = bounds.check(F::count_at::<L>(v)) {
            cx.invalid(message);
        }
    }

    /// Refuses to write a list outside its bounds.
    pub fn write_at<F: Field, L: Lifecycle>(v: &F::At<L>, bounds: ItemBounds, w: &mut Writer) {
        if let Err(message) = bounds.check(F::count_at::<L>(v)) {
            w.invalid(message);
        }
    }

    /// Refuses to read a stored list outside its bounds.
    pub fn read_at(items: &[Item<'_>], bounds: ItemBounds, cx: &mut ReadCx) {
        if let Err(message) = bounds.check(items.len()) {
            cx.error(message);
        }
    }
}

/// Why a lifecycle change failed: every required field found missing, and every list field
/// outside its `#[items(min, max)]` bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{type_name} cannot move to lifecycle {target}: {}",
    problems(missing, invalid)
)]
pub struct MissingFields {
    /// The Rust type being converted.
    pub type_name: &'static str,
    /// The lifecycle it was moved to.
    pub target: SubscriptionLifecycle,
    /// Dotted paths of every missing field, e.g. `user.group.group_id`, in field order.
    pub missing: Vec<String>,
    /// Every list outside its bounds, with its path: `core_link.ports: 1 item, expected
    /// exactly 2`, in field order.
    pub invalid: Vec<String>,
}

fn problems(missing: &[String], invalid: &[String]) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", missing.join(", ")));
    }
    parts.extend(invalid.iter().cloned());
    parts.join("; ")
}

/// What `validate` found that `save` would refuse: lists outside their `#[items(min, max)]`
/// bounds, and blocks used twice, each with its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{type_name} is not valid: {}", problems.join("; "))]
pub struct Invalid {
    /// The Rust type checked.
    pub type_name: &'static str,
    /// Every problem, with the field path (`virtual_circuit.saps: 1 item, expected 2 to 8`).
    pub problems: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_bounds_say_what_they_allow() {
        let b = |min, max| ItemBounds { min, max };
        assert_eq!(b(Some(2), Some(2)).to_string(), "exactly 2");
        assert_eq!(b(Some(2), Some(8)).to_string(), "2 to 8");
        assert_eq!(b(Some(1), None).to_string(), "at least 1");
        assert_eq!(b(None, Some(3)).to_string(), "at most 3");
        assert_eq!(b(None, None).to_string(), "any number");
        assert!(b(Some(2), Some(8)).allows(2) && b(Some(2), Some(8)).allows(8));
        assert!(!b(Some(2), Some(8)).allows(1) && !b(Some(2), Some(8)).allows(9));
        assert_eq!(
            b(Some(2), Some(2)).check(1),
            Err("1 item, expected exactly 2".into())
        );
        assert_eq!(
            b(Some(2), Some(2)).check(3),
            Err("3 items, expected exactly 2".into())
        );
        assert_eq!(b(None, None).check(usize::MAX), Ok(()));
    }

    #[test]
    fn counts_of_options_lists_and_single_values() {
        use crate::Active;
        assert_eq!(<Vec<i64> as Field>::count_at::<Active>(&vec![1, 2, 3]), 3);
        assert_eq!(<Option<i64> as Field>::count_at::<Active>(&None), 0);
        assert_eq!(<Option<i64> as Field>::count_at::<Active>(&Some(1)), 1);
        assert_eq!(<i64 as Field>::count_at::<Active>(&1), 1);
    }
}
