//! The bodies of the methods every `#[product]` type gets, written once.
//!
//! A product's `from_products`, `transition` and `transition_and_save` only name these, with
//! the type's own `into_lifecycle` where a lifecycle changes, and return their futures. When
//! each product expanded async bodies of its own, every product cost the compiler futures to
//! type-check and borrow-check: about a third of a catalogue's build (see the README's
//! compile figures).

use sea_orm::TransactionSession;

use crate::field::MissingFields;
use crate::lifecycle::Lifecycle;
use crate::model::Product;

use super::store::{check_dependants, save, stamp_dates};
use super::{Connection, ProductRef, Refused};

/// The requests of `from_products`, converted before its future starts, so that the future
/// does not hold the caller's iterator.
pub fn product_requests<R: Into<ProductRef>, C: Into<String>>(
    requests: impl IntoIterator<Item = (R, C)>,
) -> Vec<(ProductRef, String)> {
    requests
        .into_iter()
        .map(|(r, c)| (r.into(), c.into()))
        .collect()
}

/// Moves `sub` to the lifecycle of `Q` in memory: what `Product::transition` documents.
/// `convert` is the product's own `into_lifecycle`, which checks every field `Q` requires.
pub async fn transition<P, Q, C>(
    sub: P,
    db: &C,
    convert: fn(P) -> Result<Q, MissingFields>,
) -> Result<Q, Refused<P>>
where
    P: Product + Clone,
    Q: Product,
    C: Connection,
{
    let target = <Q::Lifecycle as Lifecycle>::STATUS;
    if let Err(error) = check_dependants(db, sub.meta().subscription_id, target).await {
        return Err(Refused {
            subscription: sub,
            error,
        });
    }
    match convert(sub.clone()) {
        Ok(mut next) => {
            stamp_dates(next.meta_mut(), target);
            Ok(next)
        }
        Err(missing) => Err(Refused {
            subscription: sub,
            error: missing.into(),
        }),
    }
}

/// [`transition`], then `save`, in one transaction (the caller's, when `db` is one); refused or
/// not saved, the subscription comes back as it was and nothing is written.
pub async fn transition_and_save<P, Q, C>(
    sub: P,
    db: &C,
    convert: fn(P) -> Result<Q, MissingFields>,
) -> Result<Q, Refused<P>>
where
    P: Product + Clone,
    Q: Product,
    C: Connection,
{
    let txn = match db.begin().await {
        Ok(txn) => txn,
        Err(e) => {
            return Err(Refused {
                subscription: sub,
                error: e.into(),
            });
        }
    };
    let original = sub.clone();
    let mut next = transition(sub, &txn, convert).await?;
    let saved = match save(&txn, &mut next).await {
        Ok(_) => txn.commit().await.map_err(Into::into),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(next),
        Err(error) => Err(Refused {
            subscription: original,
            error,
        }),
    }
}
