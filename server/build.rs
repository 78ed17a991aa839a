//! rust-embed tracks the files of `frontend/dist` it embedded, but not a folder that
//! appears after the server was compiled; index.html changes with every app build, so
//! watching it recompiles the server (and its built-in app) after each one.
fn main() {
    println!("cargo::rerun-if-changed=../frontend/dist/index.html");
}
