# Sourced (not run) by the host-JVM scripts: how Maven is run on the repository's pom.xml, and how
# a Surefire run is read. Expects $repo (the repository root) and $target_dir (the cargo target
# directory, where Maven's output goes too: $target_dir/maven/VARIANT/ARTIFACT).

# kb_mvn ARGS…: Maven in batch mode on the root pom, reading cargo's output from $target_dir.
# Dependencies resolve from ~/.m2 once fetched (every version is exact, so Maven asks no
# repository again); test failures do not stop the build: every module's tests run and
# surefire_counts reads the outcome. A non-zero exit means the build itself broke.
kb_mvn() {
    mvn -B -ntp -f "$repo/pom.xml" -Dkeybridge.target="$target_dir" -Dmaven.test.failure.ignore=true \
        -Dsurefire.printSummary=true "$@"
}

# surefire_counts DECLARED REPORT_DIR…: sets junit_passed and junit_failed from the Surefire XML
# reports in the given directories. Counts a failure when the tests found are fewer than the
# @Test methods the sources declare: JUnit silently skips a test method that does not return void
# (a Kotlin `= runBlocking { … }` whose last expression has a value). Skipped tests count as neither.
surefire_counts() {
    local declared="$1"
    shift
    local tests=0 failed=0 skipped=0 report
    attr() { grep -o -m1 '<testsuite [^>]*' "$report" | grep -o " $1=\"[0-9]*\"" | tr -dc 0-9; }
    while IFS= read -r report; do
        tests=$((tests + $(attr tests)))
        failed=$((failed + $(attr failures) + $(attr errors)))
        skipped=$((skipped + $(attr skipped)))
    done < <(find "$@" -name 'TEST-*.xml' 2>/dev/null)
    junit_passed=$((tests - failed - skipped))
    junit_failed=$failed
    if ((tests < declared)); then
        echo "FAILED: $declared @Test methods declared but Surefire ran $tests (a test that does not return void?)" >&2
        junit_failed=$((junit_failed + declared - tests))
    fi
    echo "== Surefire: $tests tests, $junit_passed passed, $junit_failed failed, $skipped skipped" >&2
}

# declared_tests DIR…: the @Test methods the sources under DIR declare.
declared_tests() {
    cat $(find "$@" -name '*.kt' -o -name '*.java') | grep -c '^\s*@Test\b'
}
