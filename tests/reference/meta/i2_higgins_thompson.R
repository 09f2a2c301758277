# Writes i2_higgins_thompson.json: the test-based confidence interval for I² of
# Higgins & Thompson (2002, Stat Med 21:1539-58, appendix), as R's meta package computes it
# (calcH), applied to the Q of metafor's rma.mh (Mantel-Haenszel OR, fixed effect).
# Run from the repository root: Rscript tests/reference/meta/i2_higgins_thompson.R
library(metafor)
ht_ci <- function(Q, k, level = 0.95) {
  H <- sqrt(Q / (k - 1))
  se <- if (Q > k) 0.5 * (log(Q) - log(k - 1)) / (sqrt(2 * Q) - sqrt(2 * k - 3)) else
    sqrt(1 / (2 * (k - 2)) * (1 - 1 / (3 * (k - 2)^2)))
  z <- qnorm(1 - (1 - level) / 2)
  lo <- max(exp(log(H) - z * se), 1); hi <- max(exp(log(H) + z * se), 1)
  c(lower = (lo^2 - 1) / lo^2, upper = (hi^2 - 1) / hi^2)
}
sets <- c("bcg", "hine1989", "li2007", "lee2004")
out <- list(generated_by = "tests/reference/meta/i2_higgins_thompson.R", r = R.version.string,
            metafor = as.character(packageVersion("metafor")), results = list())
for (s in sets) {
  d <- read.csv(file.path("tests/reference/meta/data", paste0(s, ".csv")))
  res <- rma.mh(measure = "OR", ai = events_treat, n1i = total_treat, ci = events_ctrl,
                n2i = total_ctrl, data = d)
  ci <- ht_ci(res$QE, res$k.yi)
  out$results[[s]] <- list(call = deparse1(res$call), Q = res$QE, k_yi = res$k.yi,
                           I2 = res$I2 / 100, I2_ci_low = ci[["lower"]],
                           I2_ci_high = ci[["upper"]])
}
jsonlite::write_json(out, "tests/reference/meta/i2_higgins_thompson.json", digits = NA,
                     auto_unbox = TRUE, pretty = TRUE)
