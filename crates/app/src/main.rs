//! The `omniportal` binary.

fn main() -> std::process::ExitCode {
    omni_app::cli::main()
}
