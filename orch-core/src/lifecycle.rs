//! Lifecycles of subscriptions and products, both as stored strings and as types.
//!
//! orchestrator-core writes three classes per model (`XInactive`, `XProvisioning`, `X`) so that
//! a field can be optional early in a subscription's life and required later. orch expresses the
//! same rule once, on the field (`#[required_from(provisioning)]`), and turns it into a type
//! parameter: `UserBlock<Initial>` has `username: Option<String>`, `UserBlock<Active>` has
//! `username: String`. The [`Lifecycle`] trait is what makes that mapping work.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The status of a subscription, stored in `subscriptions.status` as orchestrator-core's strings.
///
/// `migrating` and `disabled` exist in orchestrator-core's databases too, so orch reads them
/// rather than failing on a database it adopted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionLifecycle {
    /// Just created from a product; nothing is required yet beyond always-required fields.
    Initial,
    /// Being set up in the network; fields marked `required_from(provisioning)` are present.
    Provisioning,
    /// In service; every field marked `required_from(...)` is present.
    Active,
    /// Ended; values are kept but none is required any more.
    Terminated,
    /// Being moved to another product (orchestrator-core only; treated like terminated).
    Migrating,
    /// Switched off (orchestrator-core only; treated like terminated).
    Disabled,
}

impl SubscriptionLifecycle {
    /// Every status, in the order orchestrator-core lists them.
    pub const ALL: [SubscriptionLifecycle; 6] = [
        Self::Initial,
        Self::Active,
        Self::Migrating,
        Self::Disabled,
        Self::Terminated,
        Self::Provisioning,
    ];

    /// The string stored in the database and used in the JSON API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Terminated => "terminated",
            Self::Migrating => "migrating",
            Self::Disabled => "disabled",
        }
    }

    /// Whether a field marked `required_from(from)` must have a value in this lifecycle.
    ///
    /// The order is initial < provisioning < active. Terminated, migrating and disabled require
    /// nothing lifecycle-dependent, as orchestrator-core's default (inactive) classes do, so a
    /// subscription can always be terminated.
    pub const fn requires(self, from: SubscriptionLifecycle) -> bool {
        match from {
            Self::Initial => true,
            Self::Provisioning => matches!(self, Self::Provisioning | Self::Active),
            Self::Active => matches!(self, Self::Active),
            Self::Terminated | Self::Migrating | Self::Disabled => false,
        }
    }

    /// The statuses a *depending* subscription may have when a subscription it uses moves to
    /// `self` (orchestrator-core's `SAFE_USED_BY_TRANSITIONS_FOR_STATUS`).
    pub const fn safe_for_dependants(self) -> &'static [SubscriptionLifecycle] {
        use SubscriptionLifecycle::*;
        match self {
            Initial => &[Initial],
            Active => &[
                Initial,
                Provisioning,
                Active,
                Terminated,
                Migrating,
                Disabled,
            ],
            Migrating => &[Initial, Migrating, Terminated],
            Provisioning => &[Initial, Provisioning, Active, Terminated],
            Terminated => &[Initial, Terminated],
            Disabled => &[Initial, Disabled, Terminated],
        }
    }
}

impl fmt::Display for SubscriptionLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status string that is not one of the known lifecycle values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a {kind} lifecycle; expected one of: {expected}")]
pub struct UnknownLifecycle {
    /// The string that was read.
    pub value: String,
    /// "subscription" or "product".
    pub kind: &'static str,
    /// The accepted values, comma separated.
    pub expected: &'static str,
}

impl FromStr for SubscriptionLifecycle {
    type Err = UnknownLifecycle;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| UnknownLifecycle {
                value: s.to_owned(),
                kind: "subscription",
                expected: "initial, provisioning, active, terminated, migrating, disabled",
            })
    }
}

/// The status of a product, stored in `products.status` as orchestrator-core's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProductLifecycle {
    /// Sold and in use.
    #[serde(rename = "active")]
    Active,
    /// Not yet sold.
    #[serde(rename = "pre production")]
    PreProduction,
    /// No longer sold; existing subscriptions continue.
    #[serde(rename = "phase out")]
    PhaseOut,
    /// Gone; no subscription may remain.
    #[serde(rename = "end of life")]
    EndOfLife,
}

impl ProductLifecycle {
    /// Every status, in orchestrator-core's order.
    pub const ALL: [ProductLifecycle; 4] = [
        Self::Active,
        Self::PreProduction,
        Self::PhaseOut,
        Self::EndOfLife,
    ];

    /// The string stored in the database and used in the JSON API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::PreProduction => "pre production",
            Self::PhaseOut => "phase out",
            Self::EndOfLife => "end of life",
        }
    }
}

impl fmt::Display for ProductLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProductLifecycle {
    type Err = UnknownLifecycle;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| UnknownLifecycle {
                value: s.to_owned(),
                kind: "product",
                expected: "active, pre production, phase out, end of life",
            })
    }
}

/// A value that a lifecycle requires but that is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing;

mod sealed {
    pub trait Sealed {}
}

/// A subscription lifecycle as a type, so that the compiler knows which fields are present.
///
/// `FromProvisioning<T>` is the type of a field marked `#[required_from(provisioning)]` in this
/// lifecycle (`Option<T>` before provisioning, `T` from then on); `FromActive<T>` likewise for
/// `#[required_from(active)]`. The methods convert between those forms and `Option<T>`, which is
/// all the generated code needs to move a model between lifecycles, compare, clone and print it.
///
/// The trait is sealed: the six lifecycles are those of orchestrator-core.
pub trait Lifecycle:
    sealed::Sealed + Copy + Default + fmt::Debug + PartialEq + Send + Sync + 'static
{
    /// The stored status this type stands for.
    const STATUS: SubscriptionLifecycle;
    /// A field required from provisioning on.
    type FromProvisioning<T>;
    /// A field required from active on.
    type FromActive<T>;

    /// Takes the value out of a `FromProvisioning` field.
    fn provisioning_into_option<T>(v: Self::FromProvisioning<T>) -> Option<T>;
    /// Borrows the value of a `FromProvisioning` field.
    fn provisioning_as_ref<T>(v: &Self::FromProvisioning<T>) -> Option<&T>;
    /// Borrows the value of a `FromProvisioning` field mutably.
    fn provisioning_as_mut<T>(v: &mut Self::FromProvisioning<T>) -> Option<&mut T>;
    /// Builds a `FromProvisioning` field; `Err(Missing)` when this lifecycle requires a value.
    fn provisioning_from_option<T>(v: Option<T>) -> Result<Self::FromProvisioning<T>, Missing>;
    /// Takes the value out of a `FromActive` field.
    fn active_into_option<T>(v: Self::FromActive<T>) -> Option<T>;
    /// Borrows the value of a `FromActive` field.
    fn active_as_ref<T>(v: &Self::FromActive<T>) -> Option<&T>;
    /// Borrows the value of a `FromActive` field mutably.
    fn active_as_mut<T>(v: &mut Self::FromActive<T>) -> Option<&mut T>;
    /// Builds a `FromActive` field; `Err(Missing)` when this lifecycle requires a value.
    fn active_from_option<T>(v: Option<T>) -> Result<Self::FromActive<T>, Missing>;
}

macro_rules! stage_optional {
    ($into:ident, $as_ref:ident, $as_mut:ident, $from:ident) => {
        fn $into<T>(v: Option<T>) -> Option<T> {
            v
        }
        fn $as_ref<T>(v: &Option<T>) -> Option<&T> {
            v.as_ref()
        }
        fn $as_mut<T>(v: &mut Option<T>) -> Option<&mut T> {
            v.as_mut()
        }
        fn $from<T>(v: Option<T>) -> Result<Option<T>, Missing> {
            Ok(v)
        }
    };
}

macro_rules! stage_required {
    ($into:ident, $as_ref:ident, $as_mut:ident, $from:ident) => {
        fn $into<T>(v: T) -> Option<T> {
            Some(v)
        }
        fn $as_ref<T>(v: &T) -> Option<&T> {
            Some(v)
        }
        fn $as_mut<T>(v: &mut T) -> Option<&mut T> {
            Some(v)
        }
        fn $from<T>(v: Option<T>) -> Result<T, Missing> {
            v.ok_or(Missing)
        }
    };
}

macro_rules! lifecycle_marker {
    ($(#[$doc:meta])* $name:ident, $status:ident, provisioning: $p:ident, active: $a:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $name;
        impl sealed::Sealed for $name {}
        impl Lifecycle for $name {
            const STATUS: SubscriptionLifecycle = SubscriptionLifecycle::$status;
            lifecycle_marker!(@ty FromProvisioning $p);
            lifecycle_marker!(@ty FromActive $a);
            lifecycle_marker!(@fns $p provisioning_into_option provisioning_as_ref provisioning_as_mut provisioning_from_option);
            lifecycle_marker!(@fns $a active_into_option active_as_ref active_as_mut active_from_option);
        }
    };
    (@ty $assoc:ident optional) => { type $assoc<T> = Option<T>; };
    (@ty $assoc:ident required) => { type $assoc<T> = T; };
    (@fns optional $($f:ident)*) => { stage_optional!($($f),*); };
    (@fns required $($f:ident)*) => { stage_required!($($f),*); };
}

lifecycle_marker!(
    /// The `initial` lifecycle: a subscription just created from its product.
    Initial, Initial, provisioning: optional, active: optional
);
lifecycle_marker!(
    /// The `provisioning` lifecycle: fields required from provisioning are present.
    Provisioning, Provisioning, provisioning: required, active: optional
);
lifecycle_marker!(
    /// The `active` lifecycle, the default of every model type: all required fields are present.
    Active, Active, provisioning: required, active: required
);
lifecycle_marker!(
    /// The `terminated` lifecycle: nothing lifecycle-dependent is required.
    Terminated, Terminated, provisioning: optional, active: optional
);
lifecycle_marker!(
    /// The `migrating` lifecycle of orchestrator-core: nothing lifecycle-dependent is required.
    Migrating, Migrating, provisioning: optional, active: optional
);
lifecycle_marker!(
    /// The `disabled` lifecycle of orchestrator-core: nothing lifecycle-dependent is required.
    Disabled, Disabled, provisioning: optional, active: optional
);

/// The type of a field marked `#[required_from(provisioning)]` in lifecycle `L`.
pub type RequiredFromProvisioning<L, T> = <L as Lifecycle>::FromProvisioning<T>;
/// The type of a field marked `#[required_from(active)]` in lifecycle `L`.
pub type RequiredFromActive<L, T> = <L as Lifecycle>::FromActive<T>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_strings() {
        for l in SubscriptionLifecycle::ALL {
            assert_eq!(l.as_str().parse::<SubscriptionLifecycle>(), Ok(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.as_str())
            );
        }
        for l in ProductLifecycle::ALL {
            assert_eq!(l.as_str().parse::<ProductLifecycle>(), Ok(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.as_str())
            );
        }
        let err = "actve".parse::<SubscriptionLifecycle>().unwrap_err();
        assert!(
            err.to_string()
                .contains("`actve` is not a subscription lifecycle")
        );
        assert!("end-of-life".parse::<ProductLifecycle>().is_err());
    }

    #[test]
    fn requirements_follow_initial_provisioning_active() {
        use SubscriptionLifecycle::*;
        assert!(!Initial.requires(Provisioning));
        assert!(Provisioning.requires(Provisioning));
        assert!(!Provisioning.requires(Active));
        assert!(Active.requires(Provisioning) && Active.requires(Active));
        assert!(!Terminated.requires(Provisioning) && !Terminated.requires(Active));
        assert!(Terminated.requires(Initial));
    }

    #[test]
    fn markers_agree_with_their_status() {
        fn check<L: Lifecycle>() {
            let p = L::provisioning_from_option::<u8>(None).is_err();
            let a = L::active_from_option::<u8>(None).is_err();
            assert_eq!(p, L::STATUS.requires(SubscriptionLifecycle::Provisioning));
            assert_eq!(a, L::STATUS.requires(SubscriptionLifecycle::Active));
            let v = L::active_from_option(Some(3u8)).unwrap();
            assert_eq!(L::active_as_ref(&v), Some(&3));
            assert_eq!(L::active_into_option(v), Some(3));
        }
        check::<Initial>();
        check::<Provisioning>();
        check::<Active>();
        check::<Terminated>();
        check::<Migrating>();
        check::<Disabled>();
    }
}
