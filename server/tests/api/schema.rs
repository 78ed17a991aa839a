/// The checked-in SDL is what integrators read; it must match the code. To update it:
/// `cargo run -p talentpost-server -- schema > server/schema.graphql`.
#[test]
fn checked_in_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).expect("server/schema.graphql exists");
    let generated = talentpost_server::graphql::sdl();
    assert!(
        checked_in == generated,
        "server/schema.graphql is out of date; regenerate it with `cargo run -p talentpost-server -- schema > server/schema.graphql`"
    );
}
