//! Two Rust types claiming one product block name: a mistake in the code. Every tool reports it
//! naming both types and without sending the user to migrations: the registry and
//! `from_product`, which checks the models before it reads the database. (A test binary of its own: the registry is global.)

#![allow(missing_docs)]

use orch_core::subscription::SubscriptionError;
use orch_core::{Initial, SUBSCRIPTION_MODEL_REGISTRY, product, product_block, register_products};
use tests::{Backend, TestDb};

mod lan {
    use super::*;

    #[product_block(name = "PortBlock")]
    pub struct LanPort {
        pub speed: Option<i64>,
    }

    #[product(product_type = "Lan")]
    pub struct Lan {
        pub port: LanPort,
    }
}

mod wan {
    use super::*;

    #[product_block(name = "PortBlock")]
    pub struct WanPort {
        pub carrier: Option<String>,
    }

    #[product(product_type = "Wan")]
    pub struct Wan {
        pub port: WanPort,
    }
}

register_products! {
    "LAN" => lan::Lan,
    "WAN" => wan::Wan,
}

fn assert_names_both(message: &str) {
    assert!(
        message.contains("product block name \"PortBlock\" is declared by two types"),
        "{message}"
    );
    assert!(
        message.contains("LanPort") && message.contains("WanPort"),
        "{message}"
    );
    assert!(!message.contains("migration"), "{message}");
}

#[tokio::test]
async fn two_types_with_one_block_name_are_named_everywhere() {
    let err = SUBSCRIPTION_MODEL_REGISTRY.get().unwrap_err();
    assert_names_both(&err.to_string());

    let Some(db) = TestDb::new(Backend::Sqlite).await else {
        return;
    };
    let err = lan::Lan::<Initial>::from_product(&db.conn, "LAN", "c")
        .await
        .unwrap_err();
    assert!(matches!(err, SubscriptionError::Registry(_)), "{err:?}");
    assert_names_both(&err.to_string());
}
