"""A real password hasher that counts its work, so a test can see that a locked-out log-in
hashes nothing. PBKDF2 as in production, with fewer iterations to keep the tests quick."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class CountingPBKDF2Hasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_counting"
    iterations = 20_000
    calls = 0

    def encode(self, password, salt, iterations=None):
        CountingPBKDF2Hasher.calls += 1
        return super().encode(password, salt, iterations)
