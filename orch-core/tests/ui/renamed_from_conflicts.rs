use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub port_name: String,
    // `port_name` is still a field: this would drop and re-create it at once.
    #[renamed_from = "port_name"]
    pub label_text: String,
    #[renamed_from = "speed"]
    pub speed_mbit: i64,
    #[renamed_from = "speed"]
    pub speed_gbit: i64,
}

fn main() {}
