// Checker for "Chain Length": one number, compared (testlib's calling convention).
#include <cstdio>
int main(int argc, char **argv) {
    if (argc < 4) return 3;
    FILE *out = std::fopen(argv[2], "r"), *ans = std::fopen(argv[3], "r");
    long long got, want;
    if (!out || !ans || std::fscanf(ans, "%lld", &want) != 1) return 3;
    if (std::fscanf(out, "%lld", &got) != 1 || got != want) {
        std::fprintf(stderr, "wrong answer: expected %lld\n", want);
        return 1;
    }
    return 0;
}
