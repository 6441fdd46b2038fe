//! Rebuilds the server when the dashboard's built assets (`web/dist`, embedded with
//! `include_dir!`) change, files added or removed included.

fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
