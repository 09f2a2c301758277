# Writes balance_matchit.json and data/balance_cohort.csv. Run from the repository root:
#   Rscript tests/reference/matching/balance_matchit.R
# A seeded two-arm cohort matched 2:1 on the logit of the propensity score with a caliper of
# 0.1 SD (some treated patients fall outside it), and MatchIt's summary() of balance before and
# after: Std. Mean Diff. (ATT: SD of the treated arm before matching; binary variables too, with
# variance p(1 - p)), Var. Ratio (continuous only) and eCDF Mean / eCDF Max. The matching weights
# are written beside the data so oncostat's balance() is computed from the same weights.
# A three-arm check follows: MatchIt's own bal1var() on each pair of arms with arbitrary seeded
# weights, the SD of the focal arm "A" (or the pooled SD) passed as the denominator.
suppressPackageStartupMessages(library(MatchIt))
REF_DIR <- "tests/reference/matching"
set.seed(11)

n <- 320
age <- round(rnorm(n, 62, 9), 1)                 # ties at one decimal
bmi <- round(rnorm(n, 23, 3.5), 0)               # many ties
male <- rbinom(n, 1, 0.55)
ecog <- factor(sample(c("0", "1", "2"), n, replace = TRUE, prob = c(0.4, 0.45, 0.15)))
size <- exp(rnorm(n, 1, 0.5))
lp <- -1.8 + 0.15 * (age - 62) + 0.6 * male + 0.5 * (ecog == "2") - 0.25 * (size - 3)
treat <- rbinom(n, 1, plogis(lp))
d <- data.frame(id = seq_len(n), treat, age, bmi, male, ecog, size)

m <- matchit(treat ~ age + bmi + male + ecog + size, data = d, method = "nearest",
             distance = "glm", link = "linear.logit", ratio = 2, caliper = 0.1)
s <- summary(m, un = TRUE)
d$ps <- m$distance
d$weights <- m$weights
d$subclass <- as.character(m$subclass)
write.csv(d, file.path(REF_DIR, "data", "balance_cohort.csv"), row.names = FALSE)

tab <- function(x) {
  list(term = rownames(x), mean_treated = unname(x[, "Means Treated"]),
       mean_control = unname(x[, "Means Control"]), smd = unname(x[, "Std. Mean Diff."]),
       var_ratio = unname(x[, "Var. Ratio"]), ecdf_mean = unname(x[, "eCDF Mean"]),
       ecdf_max = unname(x[, "eCDF Max"]))
}

# Three arms: pairs by hand with MatchIt's internal bal1var().
set.seed(12)
k <- 150
arm <- sample(c("A", "B", "C"), k, replace = TRUE, prob = c(0.3, 0.35, 0.35))
d3 <- data.frame(arm = arm, age = round(rnorm(k, 60, 10) + 3 * (arm == "B"), 1),
                 male = rbinom(k, 1, ifelse(arm == "A", 0.6, 0.45)),
                 size = exp(rnorm(k, 1 + 0.2 * (arm == "C"), 0.5)),
                 weights = sample(c(0, 0.5, 1, 2), k, replace = TRUE))
write.csv(d3, file.path(REF_DIR, "data", "balance_three.csv"), row.names = FALSE)
bal1var <- MatchIt:::bal1var
wvar <- MatchIt:::wvar
pairs <- list(c("A", "B"), c("A", "C"), c("B", "C"))
three <- list()
for (sd_kind in c("focal", "pooled")) {
  rows <- list()
  for (p in pairs) {
    sub <- d3$arm %in% p
    tt <- as.integer(d3$arm[sub] == p[1])
    for (v in c("age", "male", "size")) {
      x <- d3[[v]][sub]
      bin <- all(x == 0 | x == 1)
      denom <- if (sd_kind == "focal") sqrt(wvar(d3[[v]][d3$arm == "A"], bin)) else "pooled"
      before <- bal1var(x, tt, ww = NULL, s.weights = rep(1, sum(sub)), s.d.denom = denom,
                        standardize = TRUE)
      after <- bal1var(x, tt, ww = d3$weights[sub], s.weights = rep(1, sum(sub)),
                       s.d.denom = denom, standardize = TRUE, compute.pair.dist = FALSE)
      rows[[length(rows) + 1]] <- list(
        arm_a = p[1], arm_b = p[2], term = v,
        before = as.list(unname(before[1:6])), after = as.list(unname(after[1:6])))
    }
  }
  three[[sd_kind]] <- rows
}

out <- list(generated_by = file.path(REF_DIR, "balance_matchit.R"), r = R.version.string,
            matchit = as.character(packageVersion("MatchIt")),
            call = deparse1(m$call), n = unclass(s$nn),
            nn_names = list(rownames(s$nn), colnames(s$nn)),
            before = tab(s$sum.all), after = tab(s$sum.matched),
            columns = c("mean_a", "mean_b", "smd", "var_ratio", "ecdf_mean", "ecdf_max"),
            three = three)
jsonlite::write_json(out, file.path(REF_DIR, "balance_matchit.json"),
                     digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
print(s)
