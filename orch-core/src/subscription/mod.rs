//! Subscriptions: create them from a product, save, load and move them through their
//! lifecycles, in orchestrator-core's tables.
//!
//! Every `#[product]` type gets these as methods (`User::from_product`, `user.save(&db)`,
//! `User::<Active>::from_subscription`, `user.transition::<Active>(&db)`); they call the generic
//! functions here. The rows are orchestrator-core's: one `subscription_instances` row per block,
//! one `subscription_instance_values` row per scalar and per list element (none for an absent
//! optional), relations with `order_id` and `domain_model_attr`. Differences from
//! orchestrator-core, all deliberate:
//!
//! - list values load in the order they were saved (value rows get time-ordered ids), not
//!   sorted as strings; labels are kept;
//! - a subscription is written by `save` only, never by `from_product`;
//! - `version` goes up by one on every save that changes anything (the subscription row, its
//!   instances, values or relations), and a save of a subscription changed by someone else since
//!   it was loaded fails instead of overwriting;
//! - removing a block that another subscription uses fails instead of silently cutting the
//!   other subscription's relation;
//! - a transition checks every block the subscription owns for dependants, not only root blocks.
//!
//! Saving and loading take a fixed number of queries per batch, whatever the number of
//! subscriptions and blocks: [`save_all`] and [`load()`] work on many at once.

mod any;
pub mod load;
pub mod methods;
pub mod rows;
pub mod store;

use std::fmt;

use uuid::Uuid;

use crate::field::MissingFields;
use crate::lifecycle::SubscriptionLifecycle;

pub use any::{AnyLifecycle, ProductFamily};
pub use store::{
    SaveStats, check_dependants, from_product, from_products, load, load_json, load_one, save,
    save_all, stamp_dates,
};

/// A database connection `orch` can read, write and open transactions on: a
/// `DatabaseConnection` or a `DatabaseTransaction`.
pub trait Connection: sea_orm::ConnectionTrait + sea_orm::TransactionTrait + Sync {}

impl<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait + Sync> Connection for C {}

/// A product, by name (the registry key) or by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    /// `products.name`.
    Name(String),
    /// `products.product_id`.
    Id(Uuid),
}

impl From<&str> for ProductRef {
    fn from(name: &str) -> Self {
        ProductRef::Name(name.to_owned())
    }
}

impl From<String> for ProductRef {
    fn from(name: String) -> Self {
        ProductRef::Name(name)
    }
}

impl From<Uuid> for ProductRef {
    fn from(id: Uuid) -> Self {
        ProductRef::Id(id)
    }
}

impl fmt::Display for ProductRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProductRef::Name(n) => write!(f, "{n:?}"),
            ProductRef::Id(id) => write!(f, "id {id}"),
        }
    }
}

/// A subscription that depends on another one, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependant {
    /// Its id.
    pub subscription_id: Uuid,
    /// Its description.
    pub description: String,
    /// Its lifecycle.
    pub status: SubscriptionLifecycle,
}

impl fmt::Display for Dependant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} ({}, {})",
            self.description, self.subscription_id, self.status
        )
    }
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A lifecycle move that was refused, with the subscription handed back unchanged: a step that
/// fails to move a subscription can fix what is missing and try again without loading it anew.
///
/// It converts into [`SubscriptionError`] with `?`, keeping only the reason.
#[derive(Debug)]
pub struct Refused<P> {
    /// The subscription, in the lifecycle it was in.
    pub subscription: P,
    /// Why it was refused: [`SubscriptionError::Missing`] names every missing field.
    pub error: SubscriptionError,
}

impl<P> Refused<P> {
    /// The paths of the fields the target lifecycle requires and the subscription lacks
    /// (`user.user_id`); empty when the move was refused for another reason.
    pub fn missing(&self) -> &[String] {
        match &self.error {
            SubscriptionError::Missing(m) => &m.missing,
            _ => &[],
        }
    }
}

impl<P> fmt::Display for Refused<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<P: fmt::Debug> std::error::Error for Refused<P> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<P> From<Refused<P>> for SubscriptionError {
    fn from(r: Refused<P>) -> SubscriptionError {
        r.error
    }
}

/// Why creating, saving, loading or moving a subscription failed.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    /// The product is not in the registry.
    #[error("'{0}' is not found within the SUBSCRIPTION_MODEL_REGISTRY")]
    NotRegistered(String),
    /// The product is registered for another Rust type.
    #[error("product {product:?} is registered for {registered}, not {requested}")]
    WrongType {
        /// The product's name.
        product: String,
        /// The type it is registered for.
        registered: String,
        /// The type that was asked for.
        requested: String,
    },
    /// No such product in the database.
    #[error("Could not find a product for the given {0} (run the migrations?)")]
    ProductNotFound(ProductRef),
    /// No such subscription.
    #[error("Subscription with id: {0}, does not exist")]
    NotFound(Uuid),
    /// The subscription is in another lifecycle than the type asked for.
    #[error("subscription {id} is {status}: load it as {type_name}<{}> instead of {type_name}<{}>", lifecycle_type(*status), lifecycle_type(*requested))]
    WrongLifecycle {
        /// The subscription.
        id: Uuid,
        /// Its stored lifecycle.
        status: SubscriptionLifecycle,
        /// The lifecycle of the type asked for.
        requested: SubscriptionLifecycle,
        /// The product type's Rust name.
        type_name: &'static str,
    },
    /// Moving to another lifecycle found required fields missing.
    #[error(transparent)]
    Missing(#[from] MissingFields),
    /// The stored data does not fit the model.
    #[error("subscription {id} does not fit its model: {}", list(problems))]
    Invalid {
        /// The subscription.
        id: Uuid,
        /// Every problem, with the field path.
        problems: Vec<String>,
    },
    /// A new subscription cannot be made without values only a person can give.
    #[error(
        "cannot create a {type_name} from product {product:?}: {}",
        list(problems)
    )]
    Incomplete {
        /// The product type's Rust name.
        type_name: &'static str,
        /// The product.
        product: String,
        /// Every problem, with the field path.
        problems: Vec<String>,
    },
    /// The model cannot be written as it is (an owned block used twice, ...).
    #[error("subscription {id} cannot be saved: {}", list(problems))]
    Unwritable {
        /// The subscription.
        id: Uuid,
        /// Every problem, with the field path.
        problems: Vec<String>,
    },
    /// Someone else saved the subscription since it was loaded.
    #[error(
        "subscription {id} was changed by someone else since version {version} was loaded: load it again"
    )]
    Conflict {
        /// The subscription.
        id: Uuid,
        /// The version this copy is based on.
        version: i32,
    },
    /// The save would remove blocks that other subscriptions use.
    #[error(
        "subscription {id} cannot remove blocks that other subscriptions use: {}",
        list(users)
    )]
    InUse {
        /// The subscription.
        id: Uuid,
        /// The subscriptions that use them.
        users: Vec<Dependant>,
    },
    /// The lifecycle change would leave depending subscriptions unsafe.
    #[error(
        "Unsafe status change of Subscription with depending subscriptions: {}; subscription {id} cannot become {target} while they are in these lifecycles",
        list(dependants)
    )]
    UnsafeTransition {
        /// The subscription.
        id: Uuid,
        /// The lifecycle it was to move to.
        target: SubscriptionLifecycle,
        /// The depending subscriptions in the way.
        dependants: Vec<Dependant>,
    },
    /// The registered models contradict each other (two types with one block name, a product
    /// name registered twice): a mistake in the code, named with both places.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    /// A block or resource type of the model is missing from the database.
    #[error(
        "the database lacks {}: generate and apply a migration for the models",
        list(missing)
    )]
    Metadata {
        /// What is missing.
        missing: Vec<String>,
    },
    /// The database said no.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

fn lifecycle_type(status: SubscriptionLifecycle) -> &'static str {
    match status {
        SubscriptionLifecycle::Initial => "Initial",
        SubscriptionLifecycle::Provisioning => "Provisioning",
        SubscriptionLifecycle::Active => "Active",
        SubscriptionLifecycle::Terminated => "Terminated",
        SubscriptionLifecycle::Migrating => "Migrating",
        SubscriptionLifecycle::Disabled => "Disabled",
    }
}
