//! The `omniportal` binary.

fn main() -> std::process::ExitCode {
    let _faults = omni_app::fault_points::setup();
    omni_app::cli::main()
}
