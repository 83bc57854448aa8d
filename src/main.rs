fn main() -> std::process::ExitCode {
    waystation::cli::main()
}
