"""Each era's kernel structures, described member by member for the fake target.

Member names, C types, order and alignment attributes follow the FreeBSD headers of each era
(sys/vm/uma_int.h, sys/sys/malloc.h, kern_malloc.c's kmemzones) as summarized in
docs/freebsd-abi.md; locks and other members kmemdbg never reads are stood in
for by opaque members of a plausible size so offsets are not trivially the ones of a toy struct.
"""

from kmemdbg.backends.fake import ILP32, LP64, CTypes

ERAS = ("fbsd6", "fbsd9", "fbsd11", "fbsd12", "fbsd13", "fbsd14", "fbsd15")
# (era, arch) pairs with images; fbsd6 is i386 only, fbsd11 exists for both.
IMAGES = (("fbsd6", "i386"), ("fbsd9", "amd64"), ("fbsd11", "amd64"), ("fbsd11", "i386"),
          ("fbsd12", "amd64"), ("fbsd13", "amd64"), ("fbsd14", "amd64"), ("fbsd15", "amd64"))
MAXCPU = {("fbsd6", "i386"): 16, ("fbsd9", "amd64"): 64, ("fbsd11", "amd64"): 256,
          ("fbsd11", "i386"): 32, ("fbsd12", "amd64"): 256, ("fbsd13", "amd64"): 256,
          ("fbsd14", "amd64"): 1024, ("fbsd15", "amd64"): 1024}
MALLOC_DEBUG_MAXZONES = 8
OSRELDATE = {"fbsd6": 604000, "fbsd9": 903000, "fbsd11": 1104000, "fbsd12": 1201000,
             "fbsd13": 1302001, "fbsd14": 1400097, "fbsd15": 1500068}
# sys/sys/malloc.h M_VERSION (struct malloc_type's ks_version, 13+)
M_VERSION = {"fbsd13": 2020110501, "fbsd14": 2020110501, "fbsd15": 2024073001}
KMEMZONE_SIZES = {
    "old": (16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
    "12": (16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536),
    "13": (16, 32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536),
}


# 13-CURRENT of late 2019 (between stable/12 and the 13.0 layout): 12.x's keg, caches, bucket
# cache behind a uz_domain pointer and ks_handle malloc statistics, but counter(9) zone
# statistics, uz_max_items and uz_keg in an anonymous union instead of the keg links.
CURRENT_2019 = "fbsd13-2019"
OSRELDATE[CURRENT_2019] = 1300063
MAXCPU[(CURRENT_2019, "amd64")] = 256


def release(era):
    """The release whose layout the fake builds (the 2019 13-CURRENT builds on 12.x's)."""
    return 12 if era == CURRENT_2019 else int(era[4:])


def kmemzone_sizes(era):
    n = release(era)
    return KMEMZONE_SIZES["13" if n >= 13 else "12" if n == 12 else "old"]


def declare(era, arch):
    """A ``CTypes`` holding ``era``'s structs laid out for ``arch`` (amd64 or i386)."""
    ct = CTypes(LP64 if arch == "amd64" else ILP32)
    n = release(era)
    amd64 = arch == "amd64"
    ptr = ct.abi.pointer
    maxcpu = MAXCPU[(era, arch)]
    ct.typedef("counter_u64_t", "uint64_t *")
    ct.struct("mtx", [("const char *", "lock_name"), ("u_int", "lock_flags"),
                      ("void *[2]", "lock_list"), ("uintptr_t", "mtx_lock")])
    ct.struct("timeval", [("long", "tv_sec"), ("long", "tv_usec")])
    if n >= 9:
        ct.struct("_cpuset", [(f"long[{max(1, maxcpu // (8 * ct.abi.long))}]", "__bits")])
        ct.typedef("cpuset_t", "struct _cpuset")
    ct.struct("pcpu", [("void *", "pc_curthread"), ("u_int", "pc_cpuid"),
                       (f"char[{4096 - ptr - 4}]", "pc_pad")])

    # --- buckets and per-CPU caches -------------------------------------------------------
    if n >= 13:
        ct.struct("uma_bucket", [(ct.stailq_entry("uma_bucket"), "ub_link"), ("int16_t", "ub_cnt"),
                                 ("int16_t", "ub_entries"), ("uint32_t", "ub_seq"),
                                 ("void *[]", "ub_bucket")])
        ct.struct("uma_cache_bucket", [("void **", "ucb_bucket"), ("int16_t", "ucb_cnt"),
                                       ("int16_t", "ucb_entries"), ("uint32_t", "ucb_spare")])
        ct.struct("uma_cache", [("struct uma_cache_bucket", "uc_freebucket"),
                                ("struct uma_cache_bucket", "uc_allocbucket"),
                                ("struct uma_cache_bucket", "uc_crossbucket"),
                                ("uint64_t", "uc_allocs"), ("uint64_t", "uc_frees")],
                  aligned=128 if amd64 else 64)
    else:
        ct.struct("uma_bucket", [(ct.list_entry("uma_bucket"), "ub_link"), ("int16_t", "ub_cnt"),
                                 ("int16_t", "ub_entries"), ("void *[]", "ub_bucket")])
        aligned = None
        if amd64 and n == 11:
            aligned = 64
        elif amd64 and n == 12:
            aligned = 128
        ct.struct("uma_cache", [("struct uma_bucket *", "uc_freebucket"),
                                ("struct uma_bucket *", "uc_allocbucket"),
                                ("u_int64_t", "uc_allocs"), ("u_int64_t", "uc_frees")],
                  aligned=aligned)

    # --- kegs -------------------------------------------------------------------------------
    slab_lists = [(ct.list_head("uma_slab"), "uk_part_slab"), (ct.list_head("uma_slab"), "uk_free_slab"),
                  (ct.list_head("uma_slab"), "uk_full_slab")]
    funcs = [(ct.func_ptr(), "uk_init"), (ct.func_ptr(), "uk_fini"), (ct.func_ptr(), "uk_allocf"),
             (ct.func_ptr(), "uk_freef")]
    if n == 6:
        ct.struct("uma_keg", [(ct.list_entry("uma_keg"), "uk_link"), ("struct mtx", "uk_lock"),
                              ("void *[4]", "uk_hash"), (ct.list_head("uma_zone"), "uk_zones")]
                  + slab_lists + [("u_int32_t", "uk_recurse"), ("u_int32_t", "uk_align"),
                                  ("u_int32_t", "uk_pages"), ("u_int32_t", "uk_free"),
                                  ("u_int32_t", "uk_size"), ("u_int32_t", "uk_rsize"),
                                  ("u_int32_t", "uk_maxpages")] + funcs
                  + [("void *", "uk_obj"), ("vm_offset_t", "uk_kva"), ("void *", "uk_slabzone"),
                     ("u_int16_t", "uk_pgoff"), ("u_int16_t", "uk_ppera"),
                     ("u_int16_t", "uk_ipers"), ("u_int32_t", "uk_flags")])
    elif n <= 11:
        ct.struct("uma_keg", [("struct mtx", "uk_lock"), ("void *[4]", "uk_hash"),
                              ("const char *", "uk_name"), (ct.list_head("uma_zone"), "uk_zones")]
                  + slab_lists + [("uint32_t", "uk_align"), ("uint32_t", "uk_pages"),
                                  ("uint32_t", "uk_free")]
                  + ([("uint32_t", "uk_reserve")] if n >= 11 else [])
                  + [("uint32_t", "uk_size"), ("uint32_t", "uk_rsize"), ("uint32_t", "uk_maxpages")]
                  + funcs + [("void *", "uk_slabzone"), ("uint16_t", "uk_pgoff"),
                             ("uint16_t", "uk_ppera"), ("uint16_t", "uk_ipers"),
                             ("uint32_t", "uk_flags"), (ct.list_entry("uma_keg"), "uk_link")])
    elif n == 12:
        ct.struct("uma_domain", [(ct.list_head("uma_slab"), "ud_part_slab"),
                                 (ct.list_head("uma_slab"), "ud_free_slab"),
                                 (ct.list_head("uma_slab"), "ud_full_slab")])
        ct.struct("uma_keg", [("struct mtx", "uk_lock"), ("void *[4]", "uk_hash"),
                              (ct.list_head("uma_zone"), "uk_zones"), ("uintptr_t[2]", "uk_dr"),
                              ("uint32_t", "uk_align"), ("uint32_t", "uk_pages"),
                              ("uint32_t", "uk_free"), ("uint32_t", "uk_reserve"),
                              ("uint32_t", "uk_size"), ("uint32_t", "uk_rsize"),
                              ("uint32_t", "uk_maxpages")] + funcs
                  + [("void *", "uk_slabzone"), ("uint16_t", "uk_pgoff"), ("uint16_t", "uk_ppera"),
                     ("uint16_t", "uk_ipers"), ("uint32_t", "uk_flags"), ("const char *", "uk_name"),
                     (ct.list_entry("uma_keg"), "uk_link"), ("struct uma_domain[]", "uk_domain")])
    else:
        ct.struct("uma_domain", [("struct mtx", "ud_lock"), (ct.list_head("uma_slab"), "ud_part_slab"),
                                 (ct.list_head("uma_slab"), "ud_free_slab"),
                                 (ct.list_head("uma_slab"), "ud_full_slab"),
                                 ("uint32_t", "ud_pages"), ("uint32_t", "ud_free_items"),
                                 ("uint32_t", "ud_free_slabs")], aligned=64)
        ct.struct("uma_keg", [("void *[4]", "uk_hash"), (ct.list_head("uma_zone"), "uk_zones"),
                              ("uintptr_t[2]", "uk_dr"), ("uint32_t", "uk_align"),
                              ("uint32_t", "uk_reserve"), ("uint32_t", "uk_size"),
                              ("uint32_t", "uk_rsize")] + funcs
                  + [("uint32_t", "uk_offset"), ("void *", "uk_slabzone"), ("uint32_t", "uk_pgoff"),
                     ("uint16_t", "uk_ppera"),
                     ("uint16_t", "uk_ipers"), ("uint32_t", "uk_flags"), ("const char *", "uk_name"),
                     (ct.list_entry("uma_keg"), "uk_link"), ("struct uma_domain[]", "uk_domain")])

    # --- zones --------------------------------------------------------------------------------
    zfuncs = [(ct.func_ptr(), "uz_ctor"), (ct.func_ptr(), "uz_dtor"), (ct.func_ptr(), "uz_init"),
              (ct.func_ptr(), "uz_fini")]
    if 8 <= n <= 12:
        ct.struct("uma_klink", [(ct.list_entry("uma_klink"), "kl_link"), ("struct uma_keg *", "kl_keg")])
    if era == CURRENT_2019:
        ct.struct("uma_zone_domain", [(ct.list_head("uma_bucket"), "uzd_buckets"),
                                      ("long", "uzd_nitems"), ("long", "uzd_imax"),
                                      ("long", "uzd_imin"), ("long", "uzd_wss")])
        ct.struct("uma_zone", [(ct.union(None, [("struct uma_keg *", "uz_keg"),
                                                ("void *", "uz_hash")]), None),
                               ("struct uma_zone_domain *", "uz_domain"),
                               ("uint32_t", "uz_flags"), ("uint32_t", "uz_size"),
                               (ct.func_ptr(), "uz_ctor"), (ct.func_ptr(), "uz_dtor"),
                               ("uint64_t", "uz_items"), ("uint64_t", "uz_max_items"),
                               ("uint32_t", "uz_sleepers"), ("uint16_t", "uz_bucket_size"),
                               ("uint16_t", "uz_bucket_size_max"), (ct.func_ptr(), "uz_import"),
                               (ct.func_ptr(), "uz_release"), ("void *", "uz_arg"),
                               (ct.func_ptr(), "uz_init"), (ct.func_ptr(), "uz_fini"),
                               ("uint64_t", "uz_bkt_count"), ("uint64_t", "uz_bkt_max"),
                               ("struct mtx", "uz_lock"), (ct.list_entry("uma_zone"), "uz_link"),
                               ("const char *", "uz_name"), ("const char *", "uz_warning"),
                               ("struct timeval", "uz_ratecheck"), ("uintptr_t[4]", "uz_maxaction"),
                               ("uint16_t", "uz_bucket_size_min"), ("counter_u64_t", "uz_allocs"),
                               ("counter_u64_t", "uz_frees"), ("counter_u64_t", "uz_fails"),
                               ("uint64_t", "uz_sleeps"), ("struct uma_cache[]", "uz_cpu")])
    if era == CURRENT_2019:
        pass
    elif n == 6:
        ct.struct("uma_zone", [("char *", "uz_name"), ("struct mtx *", "uz_lock"),
                               ("struct uma_keg *", "uz_keg"), (ct.list_entry("uma_zone"), "uz_link"),
                               (ct.list_head("uma_bucket"), "uz_full_bucket"),
                               (ct.list_head("uma_bucket"), "uz_free_bucket")] + zfuncs
                  + [("u_int64_t", "uz_allocs"), ("u_int64_t", "uz_frees"), ("u_int64_t", "uz_fails"),
                     ("uint16_t", "uz_fills"), ("uint16_t", "uz_count"),
                     ("struct uma_cache[1]", "uz_cpu")])
    elif n == 9:
        ct.struct("uma_zone", [("const char *", "uz_name"), ("struct mtx *", "uz_lock"),
                               (ct.list_entry("uma_zone"), "uz_link"),
                               (ct.list_head("uma_bucket"), "uz_full_bucket"),
                               (ct.list_head("uma_bucket"), "uz_free_bucket"),
                               (ct.list_head("uma_klink"), "uz_kegs"), ("struct uma_klink", "uz_klink"),
                               (ct.func_ptr(), "uz_slab")] + zfuncs
                  + [("uint32_t", "uz_flags"), ("uint32_t", "uz_size"), ("u_int64_t", "uz_allocs"),
                     ("u_int64_t", "uz_frees"), ("u_int64_t", "uz_fails"), ("const char *", "uz_warning"),
                     ("uint64_t", "uz_sleeps"), ("uint16_t", "uz_fills"), ("uint16_t", "uz_count"),
                     ("struct timeval", "uz_ratecheck"), ("struct uma_cache[1]", "uz_cpu")])
    elif n in (11, 12):
        ct.struct("mtx_padalign", [("struct mtx", "mtx")], aligned=64 if amd64 else None)
        if n == 12:
            ct.struct("uma_zone_domain", [(ct.list_head("uma_bucket"), "uzd_buckets"),
                                          ("long", "uzd_nitems"), ("long", "uzd_imax"),
                                          ("long", "uzd_imin"), ("long", "uzd_wss")])
        ct.struct("uma_zone", [("struct mtx_padalign", "uz_lock"), ("struct mtx *", "uz_lockptr"),
                               ("const char *", "uz_name")]
                  + ([("struct uma_zone_domain *", "uz_domain")] if n == 12 else [])
                  + [(ct.list_entry("uma_zone"), "uz_link")]
                  + ([(ct.list_head("uma_bucket"), "uz_buckets")] if n == 11 else [])
                  + [(ct.list_head("uma_klink"), "uz_kegs"), ("struct uma_klink", "uz_klink"),
                     (ct.func_ptr(), "uz_slab")] + zfuncs
                  + [(ct.func_ptr(), "uz_import"), (ct.func_ptr(), "uz_release"), ("void *", "uz_arg"),
                     ("uint32_t", "uz_flags"), ("uint32_t", "uz_size"), ("u_long", "uz_allocs"),
                     ("u_long", "uz_fails"), ("u_long", "uz_frees"), ("uint64_t", "uz_sleeps"),
                     ("uint16_t", "uz_count"), ("uint16_t", "uz_count_min"),
                     ("const char *", "uz_warning"), ("struct timeval", "uz_ratecheck"),
                     ("struct uma_cache[]" if n == 12 else "struct uma_cache[1]", "uz_cpu")])
    else:
        ct.struct("uma_zone_domain", [(ct.stailq_head("uma_bucket"), "uzd_buckets"),
                                      ("struct uma_bucket *", "uzd_cross"), ("long", "uzd_nitems"),
                                      ("long", "uzd_imax"), ("long", "uzd_imin"), ("long", "uzd_bimin"),
                                      ("long", "uzd_wss"), ("long", "uzd_limin"), ("u_int", "uzd_timin"),
                                      ("uint32_t", "uzd_seq"), ("struct mtx", "uzd_lock")], aligned=64)
        ct.struct("uma_zone", [("uint32_t", "uz_flags"), ("uint32_t", "uz_size"),
                               (ct.func_ptr(), "uz_ctor"), (ct.func_ptr(), "uz_dtor"),
                               ("void *", "uz_smr"), ("uint64_t", "uz_max_items"),
                               ("uint16_t", "uz_bucket_max"), ("uint16_t", "uz_bucket_size"),
                               ("uint16_t", "uz_bucket_size_max"), ("uint32_t", "uz_sleepers"),
                               ("counter_u64_t", "uz_xdomain"), ("struct uma_keg *", "uz_keg"),
                               (ct.func_ptr(), "uz_import"), (ct.func_ptr(), "uz_release"),
                               ("void *", "uz_arg"), (ct.func_ptr(), "uz_init"), (ct.func_ptr(), "uz_fini"),
                               ("uint64_t", "uz_items"), ("uint64_t", "uz_sleeps"),
                               (ct.list_entry("uma_zone"), "uz_link"), ("counter_u64_t", "uz_allocs"),
                               ("counter_u64_t", "uz_frees"), ("counter_u64_t", "uz_fails"),
                               ("const char *", "uz_name"), ("char *", "uz_ctlname"),
                               ("int", "uz_namecnt"), ("uint16_t", "uz_bucket_size_min"),
                               ("uint16_t", "uz_reclaimers"), ("void *", "uz_oid"),
                               ("const char *", "uz_warning"), ("struct timeval", "uz_ratecheck"),
                               ("uintptr_t[4]", "uz_maxaction"), ("struct mtx", "uz_cross_lock"),
                               ("struct uma_cache[]", "uz_cpu")])

    # --- malloc(9) ------------------------------------------------------------------------------
    ct.struct("malloc_type_stats", [("uint64_t", "mts_memalloced"), ("uint64_t", "mts_memfreed"),
                                    ("uint64_t", "mts_numallocs"), ("uint64_t", "mts_numfrees"),
                                    ("uint64_t", "mts_size"), ("uint64_t", "_mts_reserved1"),
                                    ("uint64_t", "_mts_reserved2"), ("uint64_t", "_mts_reserved3")])
    if n == 6:
        ct.struct("malloc_type_internal", [(f"struct malloc_type_stats[{maxcpu}]", "mti_stats")])
        ct.struct("malloc_type", [("struct malloc_type *", "ks_next"), ("u_long", "_ks_memuse"),
                                  ("u_long", "_ks_size"), ("u_long", "_ks_inuse"),
                                  ("uint64_t", "_ks_calls"), ("u_long", "_ks_maxused"),
                                  ("u_long", "ks_magic"), ("const char *", "ks_shortdesc"),
                                  ("void *", "ks_handle"), ("const char *", "_lo_name"),
                                  ("const char *", "_lo_type"), ("u_int", "_lo_flags"),
                                  ("void *", "_lo_list_next"), ("void *", "_lo_witness"),
                                  ("uintptr_t", "_mtx_lock"), ("u_int", "_mtx_recurse")])
    elif n <= 12:
        stats = (f"struct malloc_type_stats[{maxcpu}]" if n <= 11 else "struct malloc_type_stats *")
        ct.struct("malloc_type_internal", [("uint32_t[2]", "mti_probes"), ("u_char", "mti_zone"),
                                           (stats, "mti_stats")])
        ct.struct("malloc_type", [("struct malloc_type *", "ks_next"), ("u_long", "ks_magic"),
                                  ("const char *", "ks_shortdesc"), ("void *", "ks_handle")])
    else:
        ct.struct("malloc_type_internal", [("uint32_t[2]", "mti_probes"), ("u_char", "mti_zone"),
                                           ("struct malloc_type_stats *", "mti_stats"),
                                           ("u_long[8]", "mti_spare")])
        ct.struct("malloc_type", [("struct malloc_type *", "ks_next"), ("u_long", "ks_version"),
                                  ("const char *", "ks_shortdesc"),
                                  ("struct malloc_type_internal", "ks_mti")])
    kz_zone = "struct uma_zone *" if n == 6 else f"struct uma_zone *[{MALLOC_DEBUG_MAXZONES}]"
    ct.known["kmemzone"] = ct.struct(None, [("int", "kz_size"), ("const char *", "kz_name"),
                                            (kz_zone, "kz_zone")])
    return ct
