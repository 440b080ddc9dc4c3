//! Loading a subscription without knowing its lifecycle, or its type: what a workflow step
//! that handles "whatever state it is in" needs, as orchestrator-core's
//! `SubscriptionModel.from_subscription(id)` finds both from the product and status.
//!
//! [`AnyLifecycle<P>`] holds a `P` in whichever lifecycle is stored; `register_products!`'s enum
//! form adds an enum over the app's product types whose variants hold one each. Both load with
//! the queries of a typed load, for one subscription or a batch.

use std::fmt;

use uuid::Uuid;

use super::load::{Batch, load_with};
use super::{Connection, SubscriptionError};
use crate::lifecycle::{
    Active, Disabled, Initial, Lifecycle, Migrating, Provisioning, SubscriptionLifecycle,
    Terminated,
};
use crate::model::Product;

/// A product type over all its lifecycles: `User` stands for `User<L>` for every `L`, so that
/// one type parameter can name them all. `#[product]` implements it on the type's default
/// (active) form.
pub trait ProductFamily: 'static {
    /// The type in lifecycle `L`.
    type At<L: Lifecycle>: Product<Lifecycle = L> + fmt::Debug + Clone + PartialEq;
}

/// A subscription of product type `P` in whichever lifecycle it is stored in.
pub enum AnyLifecycle<P: ProductFamily> {
    /// `initial`.
    Initial(P::At<Initial>),
    /// `provisioning`.
    Provisioning(P::At<Provisioning>),
    /// `active`.
    Active(P::At<Active>),
    /// `terminated`.
    Terminated(P::At<Terminated>),
    /// `migrating` (orchestrator-core's).
    Migrating(P::At<Migrating>),
    /// `disabled` (orchestrator-core's).
    Disabled(P::At<Disabled>),
}

/// Calls `$body` with the subscription of any variant bound to `$s`.
macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            AnyLifecycle::Initial($s) => $body,
            AnyLifecycle::Provisioning($s) => $body,
            AnyLifecycle::Active($s) => $body,
            AnyLifecycle::Terminated($s) => $body,
            AnyLifecycle::Migrating($s) => $body,
            AnyLifecycle::Disabled($s) => $body,
        }
    };
}

impl<P: ProductFamily> AnyLifecycle<P> {
    /// Builds subscription `id` from `batch` in its stored lifecycle.
    pub fn build(batch: &Batch, id: Uuid) -> Result<Self, SubscriptionError> {
        Ok(match batch.status(id)? {
            SubscriptionLifecycle::Initial => Self::Initial(batch.build(id)?),
            SubscriptionLifecycle::Provisioning => Self::Provisioning(batch.build(id)?),
            SubscriptionLifecycle::Active => Self::Active(batch.build(id)?),
            SubscriptionLifecycle::Terminated => Self::Terminated(batch.build(id)?),
            SubscriptionLifecycle::Migrating => Self::Migrating(batch.build(id)?),
            SubscriptionLifecycle::Disabled => Self::Disabled(batch.build(id)?),
        })
    }

    /// Loads a stored subscription of type `P` in whichever lifecycle it is in.
    pub async fn from_subscription(
        db: &impl Connection,
        id: Uuid,
    ) -> Result<Self, SubscriptionError> {
        Ok(load_with(db, &[id], Self::build).await?.remove(0))
    }

    /// Loads many, each in its own lifecycle, with the queries of one typed load.
    pub async fn from_subscriptions(
        db: &impl Connection,
        ids: &[Uuid],
    ) -> Result<Vec<Self>, SubscriptionError> {
        load_with(db, ids, Self::build).await
    }

    /// The lifecycle it is in.
    pub fn status(&self) -> SubscriptionLifecycle {
        match self {
            Self::Initial(_) => Initial::STATUS,
            Self::Provisioning(_) => Provisioning::STATUS,
            Self::Active(_) => Active::STATUS,
            Self::Terminated(_) => Terminated::STATUS,
            Self::Migrating(_) => Migrating::STATUS,
            Self::Disabled(_) => Disabled::STATUS,
        }
    }

    /// The subscription's id.
    pub fn subscription_id(&self) -> Uuid {
        each!(self, s => s.meta().subscription_id)
    }
}

impl<P: ProductFamily> fmt::Debug for AnyLifecycle<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(self, s => s.fmt(f))
    }
}

impl<P: ProductFamily> Clone for AnyLifecycle<P> {
    fn clone(&self) -> Self {
        match self {
            Self::Initial(s) => Self::Initial(s.clone()),
            Self::Provisioning(s) => Self::Provisioning(s.clone()),
            Self::Active(s) => Self::Active(s.clone()),
            Self::Terminated(s) => Self::Terminated(s.clone()),
            Self::Migrating(s) => Self::Migrating(s.clone()),
            Self::Disabled(s) => Self::Disabled(s.clone()),
        }
    }
}

impl<P: ProductFamily> PartialEq for AnyLifecycle<P> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Initial(a), Self::Initial(b)) => a == b,
            (Self::Provisioning(a), Self::Provisioning(b)) => a == b,
            (Self::Active(a), Self::Active(b)) => a == b,
            (Self::Terminated(a), Self::Terminated(b)) => a == b,
            (Self::Migrating(a), Self::Migrating(b)) => a == b,
            (Self::Disabled(a), Self::Disabled(b)) => a == b,
            _ => false,
        }
    }
}
