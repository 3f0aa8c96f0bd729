// Checker for "Any Divisor" (testlib's calling convention: chk input output answer;
// exit 0 accepted, 1 wrong answer). Written for umpire's fixtures without testlib.h.
#include <cstdio>
#include <cstdlib>
static int verdict(int code, const char *msg, long long a, long long b) {
    std::fprintf(stderr, msg, a, b);
    std::fprintf(stderr, "\n");
    return code;
}
int main(int argc, char **argv) {
    if (argc < 4) return 3;
    FILE *in = std::fopen(argv[1], "r"), *out = std::fopen(argv[2], "r"), *ans = std::fopen(argv[3], "r");
    if (!in || !out || !ans) return 3;
    int t;
    if (std::fscanf(in, "%d", &t) != 1) return 3;
    for (int i = 1; i <= t; i++) {
        long long n, got, want;
        if (std::fscanf(in, "%lld", &n) != 1 || std::fscanf(ans, "%lld", &want) != 1) return 3;
        if (std::fscanf(out, "%lld", &got) != 1)
            return verdict(1, "wrong answer: case %lld: no number (n = %lld)", i, n);
        if (want == -1 && got != -1)
            return verdict(1, "wrong answer: case %lld: %lld is prime, -1 expected", i, n);
        if (want != -1 && (got <= 1 || got >= n || n % got != 0))
            return verdict(1, "wrong answer: case %lld: %lld is not a proper divisor", i, got);
    }
    long long extra;
    if (std::fscanf(out, "%lld", &extra) == 1)
        return verdict(1, "wrong answer: extra output %lld (%lld)", extra, 0LL);
    std::fprintf(stderr, "ok %d cases\n", t);
    return 0;
}
