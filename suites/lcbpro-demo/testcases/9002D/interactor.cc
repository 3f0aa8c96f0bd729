// Interactor for "Hidden Number" (testlib's calling convention for
// interactors: interactor input output answer, the program's stdout on stdin
// and its stdin on stdout; exit 0 accepts). Written for umpire's fixtures
// without testlib.h.
#include <cstdio>
#include <cstring>
int main(int argc, char **argv) {
    if (argc < 4) return 3;
    FILE *in = std::fopen(argv[1], "r"), *tout = std::fopen(argv[2], "w");
    long long n, x;
    if (!in || std::fscanf(in, "%lld %lld", &n, &x) != 2) return 3;
    std::printf("%lld\n", n);
    std::fflush(stdout);
    for (int q = 0; q <= 60; q++) {
        char op[8];
        long long y;
        if (std::scanf("%7s %lld", op, &y) != 2) {
            std::fprintf(stderr, "wrong answer: query %d is not '? y' or '! x'\n", q + 1);
            return 1;
        }
        if (!std::strcmp(op, "!")) {
            if (y != x) {
                std::fprintf(stderr, "wrong answer: guessed %lld, the number was %lld\n", y, x);
                return 1;
            }
            if (tout) std::fprintf(tout, "ok %d queries\n", q);
            return 0;
        }
        if (std::strcmp(op, "?") != 0 || y < 1 || y > n) {
            std::fprintf(stderr, "wrong answer: bad query '%s %lld'\n", op, y);
            return 1;
        }
        std::printf("%s\n", y < x ? "<" : y > x ? ">" : "=");
        std::fflush(stdout);
    }
    std::fprintf(stderr, "wrong answer: more than 60 queries\n");
    return 1;
}
