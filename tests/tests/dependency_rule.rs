//! The dependency rule of docs/architecture.md: the core crates (domain, ports, use cases)
//! never depend, even indirectly, on a web framework, a database driver, an HTTP client or an
//! async runtime. Checked on the real dependency graph with `cargo tree`.

use std::process::Command;

fn normal_dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cargo tree: {e}"));
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn core_crates_depend_on_no_framework_driver_or_runtime() {
    let forbidden = [
        "actix-web",
        "actix-rt",
        "diesel",
        "diesel-async",
        "reqwest",
        "tokio",
        "deadpool",
        "hyper",
    ];
    for package in ["omni-domain", "omni-ports", "omni-usecases"] {
        let deps = normal_dependencies(package);
        assert!(
            deps.iter().any(|d| d == package),
            "{package} missing from its own tree: {deps:?}"
        );
        let bad: Vec<_> = deps
            .iter()
            .filter(|d| forbidden.contains(&d.as_str()))
            .collect();
        assert!(bad.is_empty(), "{package} depends on {bad:?}");
    }
}

#[test]
fn adapters_do_not_depend_on_use_cases_or_each_other() {
    let adapters = ["omni-sql", "omni-memory", "omni-crypto", "omni-meta-graph"];
    for package in adapters {
        let deps = normal_dependencies(package);
        for other in adapters
            .iter()
            .chain(&["omni-usecases", "omni-app", "omni-meta-sim"])
        {
            if *other != package {
                assert!(
                    !deps.iter().any(|d| d == other),
                    "{package} depends on {other}"
                );
            }
        }
    }
}

#[test]
fn the_meta_simulator_is_an_independent_oracle() {
    // The simulator is what the Meta adapter is tested against: sharing our types or code
    // would let one misreading of Meta's API cancel itself out in both.
    let deps = normal_dependencies("omni-meta-sim");
    let ours: Vec<_> = deps
        .iter()
        .filter(|d| d.starts_with("omni-") && *d != "omni-meta-sim")
        .collect();
    assert!(ours.is_empty(), "omni-meta-sim depends on {ours:?}");
}
