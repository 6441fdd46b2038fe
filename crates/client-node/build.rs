//! Link settings a Node addon needs (on macOS: leave Node's symbols to be resolved at load).

fn main() {
    napi_build::setup();
}
