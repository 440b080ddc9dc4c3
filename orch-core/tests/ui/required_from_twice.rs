use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    #[required_from(provisioning)]
    #[required_from(active)]
    pub port_name: String,
}

fn main() {}
