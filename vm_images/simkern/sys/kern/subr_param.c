/* Boot-time tunables: hz (GENERIC: 1000). */
int hz = 1000;
