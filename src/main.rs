fn main() -> std::process::ExitCode {
    archsim::cli::main()
}
