"""The Gradescope autograder bundle: `python -m cs231n_staff.autograder dist/autograder.zip`.

The zip holds, at its top level (Gradescope unpacks it into /autograder/source):

- `setup.sh` and `run_autograder` (this folder): install the grader, CIFAR-10 and the student
  user; grade one submission with its code isolated (see docs/gradescope.md);
- the grader and its reference solution: the `cs231n` package's Python files (no data, no saved
  weights) and `cs231n_staff` (the grader, this builder);
- `grader_secret`: the staff secret the hidden problems derive from, `CS231N_GRADER_SECRET`
  when it is set at build time, else a fresh random one (no one needs to know it);
- `requirements.txt`, for reference.
"""
