//! `embed_migrations!` does not notice edited SQL files by itself (proc-macro limits), so
//! tell cargo to rebuild this crate when the migrations change.
fn main() {
    println!("cargo:rerun-if-changed=../../../migrations");
}
