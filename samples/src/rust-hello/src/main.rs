//! A tiny Rust program with two crates.io dependencies: the cargo-auditable fixture.
fn main() {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "1.2.3".to_string());
    let v = semver::Version::parse(&arg).expect("a semver version");
    let mut buf = itoa::Buffer::new();
    println!("major {}", buf.format(v.major));
}
