//! `bench-generation --smoke`: the benchmark runs end to end and prints its figures.

#[test]
fn the_benchmark_runs_in_smoke_mode() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bench-generation"))
        .arg("--smoke")
        .env("RUST_LOG", "warn")
        .output()
        .expect("bench-generation");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for figure in [
        "create→succeeded",
        "p50",
        "p99",
        "jobs/s",
        "pgbench",
        "ratio jobs/pgbench",
    ] {
        assert!(stdout.contains(figure), "missing {figure}: {stdout}");
    }
}
