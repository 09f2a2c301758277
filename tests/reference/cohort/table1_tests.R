# Writes table1_tests.json and data/sim_small.csv, data/sim_large.csv, data/sim_three.csv.
# Run from the repository root:  Rscript tests/reference/cohort/table1_tests.R
# Seeded simulated cohorts and base R's tests with their default arguments except where named:
#   t.test (var.equal TRUE/FALSE), oneway.test (var.equal TRUE/FALSE), wilcox.test (exact when
#   both arms < 50 and no ties, otherwise normal approximation with continuity correction),
#   kruskal.test, chisq.test (correct FALSE/TRUE), fisher.test (2 x 2 and r x c).
# Arm "A" is the first level, so W is the rank sum statistic of arm A.
REF_DIR <- "tests/reference/cohort"
set.seed(20240611)

write_data <- function(d, name) {
  write.csv(d, file.path(REF_DIR, "data", paste0(name, ".csv")), row.names = FALSE)
}

sim <- function(n) {
  arm <- rep(names(n), n)
  k <- length(arm)
  shift <- c(A = 0, B = 0.6, C = -0.3)[arm]
  data.frame(
    arm = arm,
    age = round(60 + 8 * rnorm(k) + 4 * shift, 6),                 # continuous, no ties
    bmi = round(22 + 3 * rnorm(k, sd = ifelse(arm == "A", 1, 1.8)) + shift, 0),  # ties
    size = round(exp(1 + 0.5 * rnorm(k) + 0.3 * shift), 6),        # skewed, no ties
    sex = ifelse(runif(k) < 0.5 + 0.15 * shift, "Male", "Female"),
    ecog = sample(c("0", "1", "2"), k, replace = TRUE, prob = c(0.45, 0.45, 0.1)),
    stage = sample(c("I", "II", "III", "IV"), k, replace = TRUE, prob = c(0.1, 0.3, 0.4, 0.2)),
    stringsAsFactors = FALSE)
}

small <- sim(c(A = 12, B = 15))
large <- sim(c(A = 60, B = 75))
three <- sim(c(A = 14, B = 20, C = 18))
write_data(small, "sim_small")
write_data(large, "sim_large")
write_data(three, "sim_three")

htest <- function(h) {
  list(method = h$method, statistic = if (is.null(h$statistic)) NA else unname(h$statistic),
       df = if (is.null(h$parameter)) NA else unname(h$parameter), p = h$p.value)
}
quiet <- function(expr) suppressWarnings(expr)  # chisq.test's "approximation may be incorrect"

two_arm <- function(d) {
  a <- d$arm == "A"
  out <- list()
  for (v in c("age", "bmi", "size")) {
    x <- d[[v]][a]; y <- d[[v]][!a]
    out[[v]] <- list(
      student = htest(t.test(x, y, var.equal = TRUE)),
      welch = htest(t.test(x, y)),
      wilcoxon = htest(quiet(wilcox.test(x, y))),
      kruskal = htest(kruskal.test(d[[v]], factor(d$arm))),
      anova = htest(oneway.test(d[[v]] ~ d$arm, var.equal = TRUE)))
  }
  for (v in c("sex", "ecog", "stage")) {
    tab <- table(d[[v]], d$arm)
    out[[v]] <- list(
      chisq = htest(quiet(chisq.test(tab, correct = FALSE))),
      chisq_yates = htest(quiet(chisq.test(tab, correct = TRUE))),
      fisher = htest(fisher.test(tab)),
      table = unclass(tab))
  }
  out
}

three_arm <- function(d) {
  g <- factor(d$arm)
  out <- list()
  for (v in c("age", "bmi", "size")) {
    out[[v]] <- list(
      anova = htest(oneway.test(d[[v]] ~ g, var.equal = TRUE)),
      welch = htest(oneway.test(d[[v]] ~ g, var.equal = FALSE)),
      kruskal = htest(kruskal.test(d[[v]], g)))
  }
  for (v in c("sex", "ecog", "stage")) {
    tab <- table(d[[v]], g)
    out[[v]] <- list(chisq = htest(quiet(chisq.test(tab, correct = FALSE))),
                     fisher = htest(fisher.test(tab)))
  }
  out
}

# Seed Table 1, "Chemotherapy before surgery" (No/Yes by HIFU, BSC, PC): the paper prints 0.09.
seed_chemo <- matrix(c(6, 2, 16, 0, 15, 1), nrow = 2,
                     dimnames = list(c("No", "Yes"), c("HIFU", "BSC", "PC")))
# Wider tables for the Freeman-Halton network enumeration.
wide <- matrix(c(3, 1, 0, 2, 4, 2, 5, 1, 0, 1, 3, 6, 2, 2, 1), nrow = 5)
exact_xy <- list(x = c(1.5, 2.5, 3.5, 4.5, 10), y = c(6, 7, 8, 9, 11, 12))

# SMDs as tableone computes them (written out here; tableone is not needed): continuous
# |m1 - m2| / sqrt((v1 + v2) / 2); categorical Yang & Dalton with MASS::ginv, first level as
# reference; the largest over the pairs of arms.
smd_cont <- function(x, y) abs(mean(x) - mean(y)) / sqrt((var(x) + var(y)) / 2)
smd_cat <- function(x, y, levels) {
  p <- as.numeric(table(factor(x, levels)) / length(x))[-1]
  q <- as.numeric(table(factor(y, levels)) / length(y))[-1]
  s <- (diag(p, length(p)) - outer(p, p) + diag(q, length(q)) - outer(q, q)) / 2
  sqrt(drop(t(p - q) %*% MASS::ginv(s) %*% (p - q)))
}
smd_max <- function(d) {
  arms <- sort(unique(d$arm))
  sapply(c("age", "bmi", "size", "sex", "ecog", "stage"), function(v) {
    max(combn(arms, 2, function(ab) {
      x <- d[[v]][d$arm == ab[1]]; y <- d[[v]][d$arm == ab[2]]
      if (is.numeric(x)) smd_cont(x, y) else smd_cat(x, y, sort(unique(d[[v]])))
    }))
  }, simplify = FALSE)
}

out <- list(
  generated_by = file.path(REF_DIR, "table1_tests.R"), r = R.version.string,
  small = two_arm(small), large = two_arm(large), three = three_arm(three),
  seed_chemo = list(table = unclass(seed_chemo),
                    chisq = htest(quiet(chisq.test(seed_chemo, correct = FALSE))),
                    fisher = htest(fisher.test(seed_chemo))),
  wide = list(table = wide, fisher = htest(fisher.test(wide)),
              chisq = htest(quiet(chisq.test(wide, correct = FALSE)))),
  exact_small = htest(wilcox.test(exact_xy$x, exact_xy$y)),
  smd = list(small = smd_max(small), three = smd_max(three)))
jsonlite::write_json(out, file.path(REF_DIR, "table1_tests.json"),
                     digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
