//! orch-core: orchestrator-core's domain model in Rust.
//!
//! Declare product blocks and product types with [`product_block`] and [`product`], value enums
//! with [`FieldValue`](derive@FieldValue), unions of blocks with [`block_union`], and register
//! product names with [`register_products!`]. The registered models are available as static
//! descriptors in [`SUBSCRIPTION_MODEL_REGISTRY`], which `orch-migrate` compares with a database.
//!
//! ```
//! use orch_core::{product, product_block, register_products, FieldValue, Initial, Active};
//!
//! #[product_block(name = "UserGroupBlock")]
//! pub struct UserGroupBlock {
//!     #[required_from(provisioning)]
//!     pub group_name: String,
//!     #[required_from(active)]
//!     pub group_id: i64,
//! }
//!
//! #[derive(Debug, Clone, Copy, PartialEq, FieldValue)]
//! pub enum Affiliation { Internal, External }
//!
//! #[product(product_type = "UserGroup")]
//! pub struct UserGroup {
//!     pub user_group: UserGroupBlock,
//! }
//!
//! register_products! { "User Group" => UserGroup }
//!
//! // In the initial lifecycle nothing is required yet ...
//! let draft: UserGroupBlockInactive = UserGroupBlock {
//!     group_name: Some("admins".into()),
//!     group_id: None,
//!     meta: Default::default(),
//! };
//! // ... and moving to active names every missing field.
//! let err = draft.clone().into_lifecycle::<Active>().unwrap_err();
//! assert_eq!(err.missing, ["group_id"]);
//! ```

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "orch-core needs a database driver: enable at least one of its features `sqlite`, `postgres` \
     and `mysql`"
);

#[allow(unused_extern_crates)] // lets the macros name `::orch_core` inside this crate too
extern crate self as orch_core;

#[cfg(feature = "api")]
pub mod api;
pub mod db_url;
pub mod descriptor;
pub mod entity;
pub mod field;
pub mod lifecycle;
pub mod migration;
pub mod model;
pub mod net;
mod poisoned;
pub mod registry;
pub mod subscription;
pub mod value;

pub use descriptor::{BlockDescriptor, FieldDescriptor, ProductTypeDescriptor};
pub use field::{
    BlockRef, Cardinality, Field, FieldShape, Invalid, ItemBounds, MissingFields, Single, Target,
};
pub use lifecycle::{
    Active, Disabled, Initial, Lifecycle, Migrating, ProductLifecycle, Provisioning,
    RequiredFromActive, RequiredFromProvisioning, SubscriptionLifecycle, Terminated,
};
pub use model::{BlockMeta, Product, ProductBlock, ProductInfo, SubscriptionMeta};
pub use net::{IpNetwork, Ipv4Network, Ipv6Network, PrefixError};
pub use orch_macros::{FieldValue, block_union, migrations, product, product_block};
pub use registry::{
    GlobalRegistry, RegisteredProduct, Registry, RegistryError, SUBSCRIPTION_MODEL_REGISTRY,
};
pub use value::{FieldValue, ValueError, ValueKind, ValueType};

/// Re-exports for the code the macros generate; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::descriptor::check;
    pub use crate::field::{ConvertCx, DebugAt, items, read_exactly_one, required};
    pub use crate::subscription::rows::{Item, Node, ReadCx, Writer, product_items, wrong_item};
    pub use crate::subscription::{Connection, ProductRef, Refused, SaveStats, SubscriptionError};
    pub use crate::subscription::{methods, store};
    pub use inventory;
    pub use sea_orm::{TransactionSession, TransactionTrait};
    pub use serde;
    pub use serde_json;
    pub use std::collections::BTreeMap;
    pub use std::fmt;
    pub use std::marker::PhantomData;
    pub use std::option::Option::{self, None, Some};
    pub use std::result::Result::{self, Err, Ok};
    pub use std::string::String;
    pub use std::vec::Vec;
    pub use uuid::Uuid;
}
