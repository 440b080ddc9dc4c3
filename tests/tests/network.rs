//! The network catalogue (`examples/network`) on SQLite, PostgreSQL and MariaDB: its migration
//! gives the rows the example orchestrator's own migrations give; every product's
//! subscriptions round-trip, with blocks shared across subscriptions and bounded lists; the
//! demo runs.
//!
//! This binary links `network` and not `workshop`: its global registry is the catalogue's.

#![allow(missing_docs)]

use network::demo::{self, Demo};
use network::{
    CoreLink, CoreLinkInactive, CoreLinkSpeed, CorePortBlock, L2vpn, L2vpnInactive, Node,
    NodeInactive, NodeStatus, NodeType, Nsip2p, Nsip2pError, Nsip2pInactive, Nsistp,
    NsistpInactive, Port, PortInactive, PortMode, PortSpeed, SapBlock, SapBlockInactive,
    VlanRanges,
};
use orch_core::subscription::SubscriptionError;
use orch_core::{
    Active, BlockMeta, FieldValue, Initial, Provisioning, SUBSCRIPTION_MODEL_REGISTRY, Terminated,
};
use orch_migrate::answers::Answers;
use orch_migrate::catalog::Catalog;
use orch_migrate::generate::{self, Outcome};
use orch_migrate::questions::FilePrompter;
use orch_migrate::{Migrator, apply, render};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tests::pipeline::{apply as apply_ops, core_schema, metadata, plan};
use tests::{Backend, TestDb};

const ANSWERS: &str = include_str!("../../examples/network/answers.toml");
const MIGRATIONS_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/network/src/migrations"
);

fn migrator() -> Migrator {
    Migrator::new(network::migrations::migrations)
}

fn sorted(rows: Vec<Value>) -> Value {
    let mut rows = rows;
    rows.sort_by_key(|r| serde_json::to_string(r).unwrap());
    Value::Array(rows)
}

/// The rows the example orchestrator's migrations (add node, port, core link, l2vpn, nsistp,
/// nsip2p) write into orchestrator-core's metadata tables, read from those migrations: products
/// with their root block and fixed inputs, blocks with their resource types and
/// `depends_on_block_relations`, and each resource type with the first description written.
///
/// One difference, on purpose: orchestrator-core's migration helper leaves
/// `product_block_relations.min`/`max` empty, while orch writes the bounds of the list fields
/// (`ports`: exactly 2, `saps`: 2 to 8) that the models declare.
fn expected() -> Value {
    let node_products = ["Cisco", "Nokia", "Cumulus", "FRR"];
    let mut products = serde_json::Map::new();
    let mut fixed_inputs = Vec::new();
    let mut roots = Vec::new();
    let mut product = |name: String,
                       product_type: &str,
                       description: &str,
                       tag: &str,
                       root: &str| {
        products.insert(
            name.clone(),
            json!({"description": description, "product_type": product_type, "tag": tag, "status": "active"}),
        );
        roots.push(json!([name, root]));
    };
    for t in node_products {
        product(format!("node {t}"), "Node", "Network node", "NODE", "Node");
        fixed_inputs.push(json!([format!("node {t}"), "node_type", t]));
    }
    for (name, speed) in [("10G", "10000"), ("100G", "100000")] {
        product(
            format!("port {name}"),
            "Port",
            "Network port",
            "PORT",
            "Port",
        );
        fixed_inputs.push(json!([format!("port {name}"), "speed", speed]));
        product(
            format!("core link {name}"),
            "CoreLink",
            "Core link",
            "CORE_LINK",
            "CoreLink",
        );
        fixed_inputs.push(json!([format!("core link {name}"), "speed", speed]));
    }
    product("l2vpn".into(), "L2vpn", "L2VPN", "L2VPN", "VirtualCircuit");
    product("nsistp".into(), "Nsistp", "NSISTP", "NSISTP", "Nsistp");
    product(
        "nsip2p".into(),
        "Nsip2p",
        "Network Service Interface Point-to-Point",
        "NSIP2P",
        "VirtualCircuit",
    );

    let blocks: &[(&str, &str, &str, &[&str])] = &[
        (
            "Node",
            "node product block",
            "NODE",
            &[
                "role_id",
                "type_id",
                "site_id",
                "node_status",
                "node_name",
                "node_description",
                "ims_id",
                "nrm_id",
                "ipv4_ipam_id",
                "ipv6_ipam_id",
            ],
        ),
        (
            "Port",
            "port product block",
            "PORT",
            &[
                "port_name",
                "port_type",
                "port_description",
                "port_mode",
                "auto_negotiation",
                "lldp",
                "enabled",
                "ims_id",
                "nrm_id",
            ],
        ),
        (
            "CorePort",
            "core port product block",
            "CORE_PORT",
            &["port_name", "enabled", "ims_id", "nrm_id", "ipv6_ipam_id"],
        ),
        (
            "CoreLink",
            "core link product block",
            "CORE_LINK",
            &[
                "ims_id",
                "ipv6_prefix_ipam_id",
                "nrm_id",
                "under_maintenance",
            ],
        ),
        ("SAP", "service access point", "SAP", &["vlan", "ims_id"]),
        (
            "VirtualCircuit",
            "virtual circuit product block",
            "VC",
            &["speed", "speed_policer", "ims_id", "nrm_id"],
        ),
        (
            "Nsistp",
            "nsistp product block",
            "NSISTP",
            &[
                "topology",
                "stp_id",
                "stp_description",
                "is_alias_in",
                "is_alias_out",
                "expose_in_topology",
                "bandwidth",
            ],
        ),
    ];
    let mut product_blocks = serde_json::Map::new();
    let mut links = Vec::new();
    for (name, description, tag, rts) in blocks {
        product_blocks.insert(
            (*name).into(),
            json!({"description": description, "tag": tag, "status": "active"}),
        );
        links.extend(rts.iter().map(|rt| json!([name, rt])));
    }
    let relations = vec![
        json!(["Port", "Node", null, null]),
        json!(["CorePort", "Node", null, null]),
        json!(["CoreLink", "CorePort", 2, 2]),
        json!(["SAP", "Port", null, null]),
        json!(["VirtualCircuit", "SAP", 2, 8]),
        json!(["Nsistp", "SAP", null, null]),
    ];
    let resource_types = json!({
        "role_id": "ID in CMDB of role of the node in the network",
        "type_id": "ID in CMDB of type of the node",
        "site_id": "ID in CMDB of site where the node is located",
        "node_status": "Operational status of the node",
        "node_name": "Unique name of the node",
        "node_description": "Description of the node",
        "ims_id": "ID of the node in the inventory management system",
        "nrm_id": "ID of the node in the network resource manager",
        "ipv4_ipam_id": "ID of the node\u{2019}s iPv4 loopback address in IPAM",
        "ipv6_ipam_id": "ID of the node\u{2019}s iPv6 loopback address in IPAM",
        "port_name": "Unique name of the port on the device",
        "port_type": "Type of the port",
        "port_description": "Description of the port",
        "port_mode": "Mode of the port, either untagged, tagged or a link_member (in an aggregate)",
        "auto_negotiation": "is Ethernet auto negotiation enabled or not",
        "lldp": "is Link Llayer Discovery Protocol enabled or not",
        "enabled": "is port enabled in inventory management system?",
        "ipv6_prefix_ipam_id": "IPAM ID of IP prefix used to number ports of this core link",
        "under_maintenance": "core link under maintenance?",
        "vlan": "VLAN ID on port",
        "speed": "speed of the L2VPN im Mbit/s",
        "speed_policer": "speed policer active?",
        "topology": "Name of the topology this Service Termination Point is exposed in",
        "stp_id": "Unique identifier for the Service Termination Point",
        "stp_description": "Description of the Service Termination Point",
        "is_alias_in": "Inbound port from the other topology in case this STP is part of a SDP",
        "is_alias_out": "Outbound port from the other topology in case this STP is part of a SDP",
        "expose_in_topology": "Whether to actively expose this STP in the topology",
        "bandwidth": "Maximum bandwidth for the combined set of STP (in Mbps)",
    });
    json!({
        "products": products,
        "product_blocks": product_blocks,
        "resource_types": resource_types,
        "fixed_inputs": sorted(fixed_inputs),
        "product_product_blocks": sorted(roots),
        "product_block_relations": sorted(relations),
        "product_block_resource_types": sorted(links),
    })
}

#[test]
fn the_registry_is_the_network_catalogue() {
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let names: Vec<&str> = registry.products().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "core link 100G",
            "core link 10G",
            "l2vpn",
            "node Cisco",
            "node Cumulus",
            "node FRR",
            "node Nokia",
            "nsip2p",
            "nsistp",
            "port 100G",
            "port 10G",
        ],
        "no workshop products: this binary links only the network catalogue"
    );
    let blocks: Vec<&str> = registry.blocks().map(|b| b.name).collect();
    assert_eq!(
        blocks,
        [
            "CoreLink",
            "CorePort",
            "Node",
            "Nsistp",
            "Port",
            "SAP",
            "VirtualCircuit"
        ]
    );
}

async fn generated_rows_match_the_example(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    core_schema(&db.conn).await;
    let empty = metadata(&db.conn).await;
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let (changes, p) = plan(&db.conn, registry, ANSWERS).await.unwrap();
    assert_eq!(changes.create_products.len(), 11);
    apply_ops(&db.conn, &p.up).await.unwrap();
    assert_eq!(metadata(&db.conn).await, expected(), "on {backend}");
    let (again, _) = plan(&db.conn, registry, ANSWERS).await.unwrap();
    assert!(again.is_empty(), "nothing left to generate: {again:?}");
    apply_ops(&db.conn, &p.down).await.unwrap();
    assert_eq!(
        metadata(&db.conn).await,
        empty,
        "down empties the catalogue"
    );
}

async fn the_committed_module_applies_checks_and_rolls_back(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let migrator = migrator();
    let applied = apply::up(&db.conn, &db.url, &migrator, None).await.unwrap();
    assert_eq!(
        applied.len(),
        3,
        "core schema (two) and the network migration"
    );
    assert_eq!(metadata(&db.conn).await, expected(), "on {backend}");

    let registry = SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let report = orch_migrate::check::check(&db.conn, &migrator, registry, None)
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.text());

    // a second generate, as the CLI runs it, writes nothing
    let dir = tempfile::tempdir().unwrap();
    let desired = Catalog::from_registry(registry);
    let mut prompter = FilePrompter {
        answers: Answers::parse(ANSWERS, "answers.toml", &desired).unwrap(),
    };
    let options = generate::Options {
        message: "again",
        now: chrono::Utc::now(),
        migrations_dir: dir.path(),
        write_template: None,
        app: "network-migrate",
    };
    let outcome = generate::generate(&db.conn, &migrator, registry, &options, &mut prompter)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::NothingToDo), "{outcome:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // down leaves the core schema with an empty catalogue
    let rolled = apply::down(&db.conn, &db.url, &migrator, Some(1))
        .await
        .unwrap();
    assert_eq!(rolled.len(), 1);
    let empty = metadata(&db.conn).await;
    for table in [
        "products",
        "product_blocks",
        "resource_types",
        "fixed_inputs",
        "product_product_blocks",
        "product_block_relations",
        "product_block_resource_types",
    ] {
        assert_eq!(
            empty[table]
                .as_array()
                .map_or_else(|| empty[table].as_object().unwrap().len(), Vec::len),
            0,
            "{table} after down on {backend}"
        );
    }
    let report = orch_migrate::check::check(&db.conn, &migrator, registry, None)
        .await
        .unwrap();
    assert_eq!(report.exit_code(), 2, "{}", report.text());
}

/// The committed module is what `generate` writes today for the same answers and time.
#[tokio::test]
async fn the_committed_module_is_what_generate_writes() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    core_schema(&db.conn).await;
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let (_, p) = plan(&db.conn, registry, ANSWERS).await.unwrap();
    let dir = std::path::Path::new(MIGRATIONS_DIR);
    let modules = orch_migrate::files::existing_modules(dir).unwrap();
    assert_eq!(modules.len(), 1);
    let at = chrono::NaiveDateTime::parse_from_str(&modules[0][1..16], "%Y%m%d_%H%M%S")
        .unwrap()
        .and_utc();
    let rendered = render::migration(&p, "Add the network catalogue", at, "network-migrate");
    assert_eq!(rendered.module, modules[0]);
    let committed = std::fs::read_to_string(dir.join(format!("{}.rs", modules[0]))).unwrap();
    assert_eq!(rendered.source, committed);
}

// ---------------------------------------------------------------------------------------------
// Subscriptions
// ---------------------------------------------------------------------------------------------

async fn network_db(backend: Backend) -> Option<TestDb> {
    TestDb::migrated(backend, network::migrations::migrations).await
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn scalar_text(conn: &DatabaseConnection, sql: &str) -> String {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<String>(0).unwrap()
}

/// The values stored for resource type `rt`, sorted.
async fn stored_values(conn: &DatabaseConnection, rt: &str) -> Vec<String> {
    let sql = format!(
        "SELECT v.value FROM subscription_instance_values v JOIN resource_types t \
         ON t.resource_type_id = v.resource_type_id WHERE t.resource_type = '{rt}'"
    );
    let mut out: Vec<String> = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    out.sort();
    out
}

async fn the_demo(backend: Backend) {
    let Some(db) = network_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let Demo {
        saved,
        loaded,
        refused,
    } = demo::demo(conn).await.unwrap();
    assert_eq!(loaded, saved, "everything loads back as it was saved");

    // shared blocks: the port's node, the core ports' nodes and the SAPs' ports belong to the
    // node and port subscriptions, and point at their instances
    let node_ids: Vec<_> = saved.nodes.iter().map(|n| n.meta.subscription_id).collect();
    let port_ids: Vec<_> = saved.ports.iter().map(|p| p.meta.subscription_id).collect();
    for (port, node) in loaded.ports.iter().zip(&saved.nodes) {
        assert_eq!(
            port.port.node, node.node,
            "the node block itself, not a copy"
        );
    }
    let core_nodes: Vec<_> = loaded
        .core_link
        .core_link
        .ports
        .iter()
        .map(|p| p.node.meta.owner_subscription_id.unwrap())
        .collect();
    assert_eq!(core_nodes, node_ids);
    let sap_ports: Vec<_> = loaded
        .l2vpn
        .virtual_circuit
        .saps
        .iter()
        .map(|s| s.port.meta.owner_subscription_id.unwrap())
        .collect();
    assert_eq!(sap_ports, port_ids);
    assert_eq!(
        loaded.l2vpn.virtual_circuit.saps[1].port.node.node_name,
        "node-b"
    );
    // the L2VPN owns its circuit and two SAPs, not the ports they point at
    let vpn = loaded.l2vpn.meta.subscription_id;
    let owned_by_vpn = scalar(
        conn,
        "SELECT COUNT(*) FROM subscription_instances i JOIN subscriptions s \
         ON s.subscription_id = i.subscription_id WHERE s.description LIKE 'l2vpn %'",
    )
    .await;
    assert_eq!(owned_by_vpn, 3);
    assert_eq!(
        scalar(conn, "SELECT COUNT(*) FROM subscription_instances").await,
        2 + 2 + 3 + 3
    );
    assert_eq!(
        scalar(
            conn,
            "SELECT COUNT(*) FROM subscription_instance_relations WHERE domain_model_attr = 'saps'"
        )
        .await,
        2
    );

    // typed values are stored as orchestrator-core stores them
    assert_eq!(
        stored_values(conn, "node_status").await,
        ["active", "active"]
    );
    assert_eq!(stored_values(conn, "port_mode").await, ["tagged", "tagged"]);
    assert_eq!(stored_values(conn, "vlan").await, ["100", "100"]);
    assert_eq!(stored_values(conn, "enabled").await, ["True"; 4]);
    assert_eq!(loaded.ports[0].speed, PortSpeed::TenGig);
    assert_eq!(loaded.core_link.speed, CoreLinkSpeed::TenGig);

    // the refusal names the L2VPN, and nothing was written
    let msg = refused.to_string();
    assert!(msg.contains("Unsafe status change"), "{msg}");
    assert!(msg.contains(&vpn.to_string()), "{msg}");
    assert!(msg.contains(&saved.l2vpn.meta.description), "{msg}");
    let port = Port::<Active>::from_subscription(conn, port_ids[0])
        .await
        .unwrap();
    assert_eq!(port, saved.ports[0], "still active and unchanged");

    // once the L2VPN is terminated, so can the port be
    let mut vpn = saved
        .l2vpn
        .clone()
        .transition::<Terminated>(conn)
        .await
        .unwrap();
    vpn.save(conn).await.unwrap();
    let mut port = port.transition::<Terminated>(conn).await.unwrap();
    port.save(conn).await.unwrap();
    assert!(port.meta.end_date.is_some());

    // the printout shows every subscription and the refusal
    let text = Demo {
        saved: saved.clone(),
        loaded,
        refused,
    }
    .to_string();
    for line in [
        "node Cisco",
        "core link 10G",
        "CorePort      et-0/0/0 on node-b",
        "SAP           VLAN 100 on xe-0/0/1 on node-a",
        "is refused",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
}

async fn every_product_round_trips(backend: Backend) {
    let Some(db) = network_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let demo = demo::demo(conn).await.unwrap();
    let ports = &demo.saved.ports;

    // each node product carries its node type; the 100G port its speed
    for (product, node_type) in [
        ("node Cisco", NodeType::Cisco),
        ("node Nokia", NodeType::Nokia),
        ("node Cumulus", NodeType::Cumulus),
        ("node FRR", NodeType::Frr),
    ] {
        let mut node: NodeInactive = Node::from_product(conn, product, "c").await.unwrap();
        assert_eq!(node.node_type, node_type);
        node.node.node_status = Some(NodeStatus::Inventory);
        node.node.node_description = Some("spare".into());
        node.save(conn).await.unwrap();
        let back = Node::<Initial>::from_subscription(conn, node.meta.subscription_id)
            .await
            .unwrap();
        assert_eq!(back, node);
        assert_eq!(
            back.to_json()["node_type"],
            product.trim_start_matches("node ")
        );
    }
    let port: PortInactive = Port::from_product(conn, "port 100G", "c").await.unwrap();
    assert_eq!(port.speed, PortSpeed::HundredGig);
    assert_eq!(
        port.to_json()["speed"],
        100000,
        "an integer enum is a number in JSON"
    );
    let link: CoreLinkInactive = CoreLink::from_product(conn, "core link 100G", "c")
        .await
        .unwrap();
    assert_eq!(link.speed, CoreLinkSpeed::HundredGig);
    assert_eq!(
        link.core_link.ports.len(),
        2,
        "a new core link has its two ports"
    );

    // an nsistp owns its SAP, which points at a port subscription's port
    let mut stp: NsistpInactive = Nsistp::from_product(conn, "nsistp", "c").await.unwrap();
    let sap = &mut stp.nsistp.sap;
    sap.port = Some(ports[1].port.clone().into_lifecycle().unwrap());
    sap.vlan = Some("200-210, 100".parse().unwrap());
    stp.nsistp.topology = Some("example.net:2026:topology".into());
    stp.nsistp.stp_id = Some("stp-1".into());
    stp.nsistp.expose_in_topology = Some(true);
    stp.nsistp.bandwidth = Some(1000);
    stp.save(conn).await.unwrap();
    let mut stp = stp.transition::<Provisioning>(conn).await.unwrap();
    stp.nsistp.sap.ims_id = Some(9000);
    let mut stp = stp.transition::<Active>(conn).await.unwrap();
    stp.save(conn).await.unwrap();
    let back = Nsistp::<Active>::from_subscription(conn, stp.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(back, stp);
    assert_eq!(back.nsistp.sap.vlan.to_string(), "100,200-210");
    assert_eq!(
        back.nsistp.sap.port.meta.owner_subscription_id,
        Some(ports[1].meta.subscription_id)
    );
    assert!(
        stored_values(conn, "vlan")
            .await
            .contains(&"100,200-210".to_owned())
    );

    // an nsip2p: exactly two single-VLAN SAPs, a rule of the product on top of the circuit's
    let mut p2p: Nsip2pInactive = Nsip2p::from_product(conn, "nsip2p", "c").await.unwrap();
    assert_eq!(p2p.check_saps(), Ok(()), "no VLANs chosen yet");
    for (sap, (port, vlan)) in p2p
        .virtual_circuit
        .saps
        .iter_mut()
        .zip(ports.iter().zip([300, 301]))
    {
        sap.port = Some(port.port.clone().into_lifecycle().unwrap());
        sap.vlan = Some(VlanRanges::single(vlan).unwrap());
    }
    p2p.virtual_circuit.speed = Some(100);
    p2p.virtual_circuit.speed_policer = Some(false);
    assert_eq!(p2p.check_saps(), Ok(()));
    let mut wide = p2p.clone();
    wide.virtual_circuit.saps[1].vlan = Some("301-302".parse().unwrap());
    assert_eq!(
        wide.check_saps(),
        Err(Nsip2pError::NotSingleVlan {
            index: 1,
            vlans: "301-302".into()
        })
    );
    let mut three = p2p.clone();
    three.virtual_circuit.saps.push(SapBlockInactive {
        port: None,
        vlan: None,
        ims_id: None,
        meta: Default::default(),
    });
    assert_eq!(three.check_saps(), Err(Nsip2pError::SapCount(3)));
    p2p.save(conn).await.unwrap();
    let mut p2p = p2p.transition::<Provisioning>(conn).await.unwrap();
    p2p.save(conn).await.unwrap();
    let back = Nsip2p::<Provisioning>::from_subscription(conn, p2p.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(back, p2p);
    assert_eq!(back.virtual_circuit.saps[1].vlan.single_vlan(), Some(301));

    // a stored VLAN that does not parse is an error naming the field and the reason
    conn.execute_unprepared(
        "UPDATE subscription_instance_values SET value = '300-299' WHERE value = '300'",
    )
    .await
    .unwrap();
    let err = Nsip2p::<Provisioning>::from_subscription(conn, p2p.meta.subscription_id)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("virtual_circuit.saps.0.vlan: `300-299` is not a valid VlanRanges: `300-299` runs backwards; write 299-300"),
        "{msg}"
    );
}

async fn list_bounds_are_enforced(backend: Backend) {
    let Some(db) = network_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let sap = || SapBlockInactive {
        port: None,
        vlan: None,
        ims_id: None,
        meta: Default::default(),
    };
    // from the product: the minimum number of SAPs
    let vpn: L2vpnInactive = L2vpn::from_product(conn, "l2vpn", "c").await.unwrap();
    assert_eq!(vpn.virtual_circuit.saps.len(), 2);
    assert_eq!(vpn.validate(), Ok(()));

    for (n, expected) in [
        (1, "virtual_circuit.saps: 1 item, expected 2 to 8"),
        (9, "virtual_circuit.saps: 9 items, expected 2 to 8"),
    ] {
        let mut bad = vpn.clone();
        bad.virtual_circuit.saps.resize_with(n, sap);
        let invalid = bad.validate().unwrap_err();
        assert_eq!(invalid.problems, [expected]);
        assert_eq!(
            invalid.to_string(),
            format!("L2vpn is not valid: {expected}")
        );
        // moving it, even to its own lifecycle, fails
        let err = bad.clone().into_lifecycle::<Initial>().unwrap_err();
        assert_eq!(err.invalid, [expected]);
        assert!(err.missing.is_empty());
        let err = bad
            .clone()
            .transition::<Provisioning>(conn)
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(expected), "{msg}");
        // and it cannot be saved: nothing is written
        let err = bad.clone().save(conn).await.unwrap_err();
        assert!(matches!(err, SubscriptionError::Unwritable { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "subscription {} cannot be saved: {expected}",
                bad.meta.subscription_id
            )
        );
        assert_eq!(scalar(conn, "SELECT COUNT(*) FROM subscriptions").await, 0);
    }

    // moving a list that is out of bounds names the missing fields and the bound together
    let mut short: L2vpnInactive = vpn.clone();
    short.virtual_circuit.saps.truncate(1);
    let err = short.into_lifecycle::<Provisioning>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "L2vpn cannot move to lifecycle provisioning: missing virtual_circuit.saps.0.port, \
         virtual_circuit.saps.0.vlan, virtual_circuit.speed, virtual_circuit.speed_policer; \
         virtual_circuit.saps: 1 item, expected 2 to 8"
    );

    // a core link holds exactly two ports
    let mut link: CoreLinkInactive = CoreLink::from_product(conn, "core link 10G", "c")
        .await
        .unwrap();
    let extra = link.core_link.ports[0].clone();
    link.core_link.ports.push(network::CorePortBlockInactive {
        meta: Default::default(),
        ..extra
    });
    assert_eq!(
        link.validate().unwrap_err().problems,
        ["core_link.ports: 3 items, expected exactly 2"]
    );
    assert!(link.clone().save(conn).await.is_err());

    // the upper bound is inclusive: eight SAPs are fine, and load back in order
    let mut full = vpn.clone();
    full.virtual_circuit.saps.resize_with(8, sap);
    for (i, s) in full.virtual_circuit.saps.iter_mut().enumerate() {
        s.vlan = Some(VlanRanges::single(100 + i as u16).unwrap());
    }
    full.save(conn).await.unwrap();
    let back = L2vpn::<Initial>::from_subscription(conn, full.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(back, full);

    // a stored list out of bounds does not load: remove one SAP's relation behind orch's back
    conn.execute_unprepared(
        "DELETE FROM subscription_instance_relations WHERE domain_model_attr = 'saps' AND order_id >= 1",
    )
    .await
    .unwrap();
    let err = L2vpn::<Initial>::from_subscription(conn, full.meta.subscription_id)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("does not fit its model: virtual_circuit.saps: 1 item, expected 2 to 8"),
        "{err}"
    );
}

/// The answers file is checked against the models' value types: a fixed input of an integer
/// enum takes only its values, and every problem is reported at once.
#[test]
fn answers_are_checked_against_the_fixed_input_types() {
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let desired = Catalog::from_registry(registry);
    Answers::parse(ANSWERS, "answers.toml", &desired).expect("the committed answers are valid");
    let wrong = ANSWERS
        .replace(
            "[products.\"port 10G\"]\ndescription = \"Network port\"\ntag = \"PORT\"\nfixed_inputs = { speed = \"10000\" }",
            "[products.\"port 10G\"]\ndescription = \"Network port\"\ntag = \"PORT\"\nfixed_inputs = { speed = \"10G\" }",
        )
        .replace(
            "[products.\"core link 10G\"]\ndescription = \"Core link\"\ntag = \"CORE_LINK\"\nfixed_inputs = { speed = \"10000\" }",
            "[products.\"core link 10G\"]\ndescription = \"Core link\"\ntag = \"CORE_LINK\"\nfixed_inputs = { speed = \"40000\" }",
        )
        .replace("node_type = \"FRR\"", "node_type = \"Juniper\"");
    let err = Answers::parse(&wrong, "answers.toml", &desired).unwrap_err();
    let expected = [
        (
            "products.\"core link 10G\".fixed_inputs.speed",
            "40000",
            CoreLinkSpeed::TYPE_NAME,
            CoreLinkSpeed::CHOICES,
        ),
        (
            "products.\"node FRR\".fixed_inputs.node_type",
            "Juniper",
            NodeType::TYPE_NAME,
            NodeType::CHOICES,
        ),
        (
            "products.\"port 10G\".fixed_inputs.speed",
            "10G",
            PortSpeed::TYPE_NAME,
            PortSpeed::CHOICES,
        ),
    ];
    assert_eq!(err.problems.len(), expected.len(), "{err}");
    for (problem, (key, value, type_name, choices)) in err.problems.iter().zip(expected) {
        // one line per problem: the key, the value given, the type and every value it takes
        assert!(problem.starts_with(&format!("{key}: ")), "{problem}");
        assert!(
            problem.contains(&format!("`{value}` is not a valid {type_name}")),
            "{problem}"
        );
        assert!(problem.ends_with(&choices.join(", ")), "{problem}");
    }
}

/// Enums are stored as their values (a string enum as its name, an integer enum as its
/// number), and a stored value outside the enum is an error naming the field, not a default.
async fn enums_are_stored_as_values_and_checked_on_load(backend: Backend) {
    let Some(db) = network_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let Demo { saved, .. } = demo::demo(conn).await.unwrap();

    // a value with a space, as the example's PortMode has
    let mut port = saved.ports[1].clone();
    port.port.port_mode = PortMode::LinkMember;
    port.save(conn).await.unwrap();
    let mut modes = vec![
        PortMode::Tagged.to_stored(),
        PortMode::LinkMember.to_stored(),
    ];
    modes.sort();
    assert_eq!(stored_values(conn, "port_mode").await, modes);
    let back = Port::<Active>::from_subscription(conn, port.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(back, port);
    assert_eq!(back.port.port_mode, PortMode::LinkMember);

    // the integer enum's fixed input row holds the number
    let speed = scalar_text(
        conn,
        "SELECT f.value FROM fixed_inputs f JOIN products p ON p.product_id = f.product_id \
         WHERE p.name = 'port 100G' AND f.name = 'speed'",
    )
    .await;
    assert_eq!(speed, PortSpeed::HundredGig.to_stored());
    assert_eq!(speed, PortSpeed::HundredGig.mbit_per_s().to_string());

    // a fixed input written by someone else that is not a PortSpeed: loading a port of the
    // product and creating one both say so
    let set_speed = |value: &str| {
        format!(
            "UPDATE fixed_inputs SET value = '{value}' WHERE name = 'speed' AND product_id IN \
             (SELECT product_id FROM products WHERE name = 'port 10G')"
        )
    };
    conn.execute_unprepared(&set_speed("10G")).await.unwrap();
    let bad_speed = format!(
        "`10G` is not a valid PortSpeed: expected one of: {}",
        PortSpeed::CHOICES.join(", ")
    );
    let err = Port::<Active>::from_subscription(conn, saved.ports[0].meta.subscription_id)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("speed: {bad_speed}")), "{err}");
    let new: Result<PortInactive, _> = Port::from_product(conn, "port 10G", "c").await;
    let err = new.unwrap_err().to_string();
    assert!(err.contains(&format!("speed: {bad_speed}")), "{err}");
    conn.execute_unprepared(&set_speed(&PortSpeed::TenGig.to_stored()))
        .await
        .unwrap();
    let back = Port::<Active>::from_subscription(conn, saved.ports[0].meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(back, saved.ports[0]);

    // a node status written by someone else that is not a NodeStatus: node and port say so
    conn.execute_unprepared(
        "UPDATE subscription_instance_values SET value = 'up' WHERE value = 'active' \
         AND resource_type_id IN (SELECT resource_type_id FROM resource_types \
         WHERE resource_type = 'node_status')",
    )
    .await
    .unwrap();
    let bad_status = format!(
        "`up` is not a valid NodeStatus: expected one of: {}",
        NodeStatus::CHOICES.join(", ")
    );
    let err = Node::<Active>::from_subscription(conn, saved.nodes[0].meta.subscription_id)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("node.node_status: {bad_status}")),
        "{err}"
    );
    let err = Port::<Active>::from_subscription(conn, saved.ports[0].meta.subscription_id)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("port.node.node_status: {bad_status}")),
        "{err}"
    );
}

/// A block of another subscription is that subscription's: its users read what the owner
/// saved, never write it, and the owner cannot be terminated while an active user needs it.
async fn shared_blocks_belong_to_their_owner(backend: Backend) {
    let Some(db) = network_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let Demo { saved, .. } = demo::demo(conn).await.unwrap();
    let instances = scalar(conn, "SELECT COUNT(*) FROM subscription_instances").await;

    // the owner changes its node: the port, the core link and the L2VPN (through its SAP's
    // port) all read the change, and none of them is written
    let mut node_a = saved.nodes[0].clone();
    node_a.node.node_description = Some("core router, rack 3".into());
    node_a.save(conn).await.unwrap();
    // a value changed, not the subscription's own row: `version` stays, as in orchestrator-core
    assert_eq!(node_a.meta.version, saved.nodes[0].meta.version);
    let net = demo::load(conn, &saved).await.unwrap();
    assert_eq!(net.nodes[0], node_a);
    assert_eq!(net.ports[0].port.node, node_a.node);
    assert_eq!(net.core_link.core_link.ports[0].node, node_a.node);
    assert_eq!(net.l2vpn.virtual_circuit.saps[0].port.node, node_a.node);
    assert_eq!(
        net.ports[1].port.node, saved.nodes[1].node,
        "node-b unchanged"
    );
    for (loaded, before) in [
        (net.ports[0].meta.version, saved.ports[0].meta.version),
        (net.core_link.meta.version, saved.core_link.meta.version),
        (net.l2vpn.meta.version, saved.l2vpn.meta.version),
    ] {
        assert_eq!(loaded, before, "a user is not written when its owner is");
    }

    // a user's copy of the shared block is not written back: its own fields are
    let mut port = net.ports[0].clone();
    port.port.node.node_name = "renamed-by-the-port".into();
    port.port.port_description = Some("uplink".into());
    port.save(conn).await.unwrap();
    let node_back = Node::<Active>::from_subscription(conn, node_a.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(node_back, node_a, "the node subscription is untouched");
    let port_back = Port::<Active>::from_subscription(conn, port.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(port_back.port.node, node_a.node, "read from its owner");
    assert_eq!(port_back.port.port_description.as_deref(), Some("uplink"));
    assert_eq!(
        scalar(conn, "SELECT COUNT(*) FROM subscription_instances").await,
        instances,
        "no copies of shared blocks"
    );

    // node-a is used by its port and by the core link: terminating it names both; the L2VPN
    // uses the port's block, not the node's, and is not in the way
    let err = node_back
        .clone()
        .transition::<Terminated>(conn)
        .await
        .unwrap_err();
    let SubscriptionError::UnsafeTransition { dependants, .. } = &err.error else {
        panic!("not an unsafe transition: {err}");
    };
    let mut users: Vec<_> = dependants.iter().map(|d| d.subscription_id).collect();
    let mut expected = vec![
        saved.ports[0].meta.subscription_id,
        saved.core_link.meta.subscription_id,
    ];
    users.sort();
    expected.sort();
    assert_eq!(users, expected);
    let msg = err.to_string();
    for user in [
        &saved.ports[0].meta.description,
        &saved.core_link.meta.description,
    ] {
        assert!(msg.contains(&format!("{user:?}")), "{user} in {msg}");
    }
    assert!(!msg.contains(&saved.l2vpn.meta.description), "{msg}");
    assert_eq!(
        Node::<Active>::from_subscription(conn, node_a.meta.subscription_id)
            .await
            .unwrap(),
        node_a,
        "still active and unchanged"
    );

    // an L2VPN being set up (initial) is not in the way of terminating node-b's port; the
    // active L2VPN is. Once that one is terminated, the port can go
    let mut draft: L2vpnInactive = L2vpn::from_product(conn, "l2vpn", "c").await.unwrap();
    for (sap, port) in draft.virtual_circuit.saps.iter_mut().zip(&saved.ports) {
        sap.port = Some(port.port.clone().into_lifecycle().unwrap());
    }
    draft.save(conn).await.unwrap();
    let port_b = saved.ports[1].clone();
    let err = port_b
        .clone()
        .transition::<Terminated>(conn)
        .await
        .unwrap_err();
    let SubscriptionError::UnsafeTransition { dependants, .. } = &err.error else {
        panic!("not an unsafe transition: {err}");
    };
    assert_eq!(
        dependants
            .iter()
            .map(|d| d.subscription_id)
            .collect::<Vec<_>>(),
        [saved.l2vpn.meta.subscription_id],
        "only the active L2VPN, not the initial one"
    );
    let mut vpn = net.l2vpn.transition::<Terminated>(conn).await.unwrap();
    vpn.save(conn).await.unwrap();
    let mut port_b = port_b.transition::<Terminated>(conn).await.unwrap();
    port_b.save(conn).await.unwrap();
    // the initial L2VPN still loads; its SAPs read the ports as their owners hold them now,
    // not as they were when the draft was made
    let draft_back = L2vpn::<Initial>::from_subscription(conn, draft.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(draft_back.meta, draft.meta);
    let sap_ports: Vec<_> = draft_back
        .virtual_circuit
        .saps
        .iter()
        .map(|s| s.port.as_ref().unwrap())
        .collect();
    assert_eq!(sap_ports[0].port_description.as_deref(), Some("uplink"));
    assert_eq!(
        sap_ports[0].node,
        Some(node_a.node.clone().into_lifecycle().unwrap())
    );
    assert_eq!(
        sap_ports[1].meta.owner_subscription_id,
        Some(port_b.meta.subscription_id)
    );
}

/// The list bounds hold in every lifecycle, for a loaded active subscription as for a new one,
/// and in a batch: one subscription out of bounds means nothing of the batch is written.
async fn list_bounds_hold_for_active_subscriptions_and_batches(backend: Backend) {
    let Some(db) = network_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let Demo { saved, .. } = demo::demo(conn).await.unwrap();
    let vpn = saved.l2vpn.clone();
    let (min, max) = (2, 8);
    let bound = |n: usize| {
        format!(
            "virtual_circuit.saps: {n} item{}, expected {min} to {max}",
            if n == 1 { "" } else { "s" }
        )
    };

    for n in [min - 1, max + 1] {
        let mut bad = vpn.clone();
        let template = bad.virtual_circuit.saps[0].clone();
        bad.virtual_circuit.saps.resize_with(n, || SapBlock {
            meta: BlockMeta::new(),
            ..template.clone()
        });
        assert_eq!(bad.validate().unwrap_err().problems, [bound(n)]);
        // no lifecycle takes it, not even terminated
        let err = bad.clone().into_lifecycle::<Terminated>().unwrap_err();
        assert_eq!(err.invalid, [bound(n)]);
        let err = bad
            .clone()
            .transition::<Terminated>(conn)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(&bound(n)), "{err}");
        // nor is it saved
        let err = bad.clone().save(conn).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "subscription {} cannot be saved: {}",
                vpn.meta.subscription_id,
                bound(n)
            )
        );
        let back = L2vpn::<Active>::from_subscription(conn, vpn.meta.subscription_id)
            .await
            .unwrap();
        assert_eq!(back, vpn, "the stored L2VPN is unchanged");
    }

    // a batch with one L2VPN out of bounds writes none of them
    let mut changed = vpn.clone();
    changed.virtual_circuit.speed += 1000;
    let mut single = vpn.clone();
    single.meta.subscription_id = uuid::Uuid::new_v4();
    single.meta.description = "one SAP only".into();
    single.virtual_circuit.meta = BlockMeta::new();
    single.virtual_circuit.saps.truncate(1);
    single.virtual_circuit.saps[0].meta = BlockMeta::new();
    let mut batch = vec![changed.clone(), single.clone()];
    let err = L2vpn::save_all(conn, &mut batch).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "subscription {} cannot be saved: {}",
            single.meta.subscription_id,
            bound(1)
        )
    );
    let back = L2vpn::<Active>::from_subscription(conn, vpn.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(
        back, vpn,
        "the valid one of the batch is not written either"
    );
    assert!(
        L2vpn::<Active>::from_subscription(conn, single.meta.subscription_id)
            .await
            .is_err()
    );
    // with the bound met, the same batch is saved
    let template = single.virtual_circuit.saps[0].clone();
    batch[1].virtual_circuit.saps.push(SapBlock {
        meta: BlockMeta::new(),
        vlan: VlanRanges::single(demo::VLAN + 1).unwrap(),
        ..template
    });
    L2vpn::save_all(conn, &mut batch).await.unwrap();
    let ids: Vec<_> = batch.iter().map(|s| s.meta.subscription_id).collect();
    let loaded = L2vpn::<Active>::from_subscriptions(conn, &ids)
        .await
        .unwrap();
    assert_eq!(loaded, batch);

    // a core link has exactly two ports, in each direction
    for n in [1, 3] {
        let mut link = saved.core_link.clone();
        let template = link.core_link.ports[0].clone();
        link.core_link.ports.resize_with(n, || CorePortBlock {
            meta: BlockMeta::new(),
            ..template.clone()
        });
        let expected = format!(
            "core_link.ports: {n} item{}, expected exactly 2",
            if n == 1 { "" } else { "s" }
        );
        assert_eq!(
            link.validate().unwrap_err().problems,
            std::slice::from_ref(&expected)
        );
        let err = link.clone().save(conn).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "subscription {} cannot be saved: {expected}",
                link.meta.subscription_id
            )
        );
    }
    let back = CoreLink::<Active>::from_subscription(conn, saved.core_link.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(back, saved.core_link);
}

tests::per_backend!(
    generated_rows_match_the_example,
    the_committed_module_applies_checks_and_rolls_back,
    the_demo,
    every_product_round_trips,
    list_bounds_are_enforced,
    enums_are_stored_as_values_and_checked_on_load,
    shared_blocks_belong_to_their_owner,
    list_bounds_hold_for_active_subscriptions_and_batches
);
