//! The [`HealthRepo`](omni_ports::HealthRepo) contract.
