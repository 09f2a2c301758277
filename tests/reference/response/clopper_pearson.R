# Writes clopper_pearson.json. Run from the repository root:
#   Rscript tests/reference/response/clopper_pearson.R
# Exact (Clopper-Pearson) intervals of binom.test(x, n)$conf.int and Fisher's exact test
# fisher.test() p-values for response rates. The seed study (Zhou et al., BMC Surg
# 2021;21:308): HIFU 5 CR + 2 PR + 1 SD of 8 (ORR 87.5%, DCR 100%); palliative
# chemotherapy 3 CR + 6 PR + 3 SD + 4 PD of 16 (ORR 56.3%, DCR 75%); best supportive care
# 16 PD of 16. Plus edge cases: x = 0, x = n, n = 1 and a 90% interval.
cp <- function(x, n, conf.level = 0.95) {
  ci <- binom.test(x, n, conf.level = conf.level)$conf.int
  list(x = x, n = n, conf_level = conf.level, ci_low = ci[1], ci_high = ci[2])
}
intervals <- list(
  cp(7, 8), cp(8, 8), cp(9, 16), cp(12, 16), cp(0, 16), cp(0, 1), cp(1, 1), cp(3, 10),
  cp(7, 8, 0.90), cp(50, 137, 0.99))
fisher_p <- function(x, n) {
  tab <- rbind(x, n - x)
  list(x = x, n = n, p = fisher.test(tab)$p.value)
}
fisher <- list(
  orr_hifu_pc = fisher_p(c(7, 9), c(8, 16)),
  dcr_hifu_pc = fisher_p(c(8, 12), c(8, 16)),
  orr_hifu_bsc = fisher_p(c(7, 0), c(8, 16)),
  orr_three_arms = fisher_p(c(7, 0, 9), c(8, 16, 16)),
  dcr_three_arms = fisher_p(c(8, 0, 12), c(8, 16, 16)),
  no_responders = fisher_p(c(0, 0), c(8, 16)))
out <- list(generated_by = "tests/reference/response/clopper_pearson.R", r = R.version.string,
            call = "binom.test(x, n, conf.level)$conf.int; fisher.test(rbind(x, n - x))$p.value",
            intervals = intervals, fisher = fisher)
jsonlite::write_json(out, "tests/reference/response/clopper_pearson.json",
                     digits = NA, auto_unbox = TRUE, pretty = TRUE)
