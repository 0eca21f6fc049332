/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loops.S - the write loops of the workload guest.
 *
 * Under this project's KVM the guest's instructions are emulated one by
 * one (about 0.6 us each, a memory operand costing about as much again), so
 * the write rate is set by the instruction count of these loops. They keep
 * their state in registers, draw random numbers with a 2-instruction LCG,
 * turn them into page numbers with one MUL (high half of r * n, uniform in
 * [0, n)), and are unrolled four times. Rare paths (wrap-arounds, the cold
 * sweep of hotcold) live out of line.
 *
 * Each write: ctr++, then store ctr at word 0 of the page. So a page's first
 * word is the 1-based index (mod 2^32) of the last write to it.
 *
 * C prototype of every loop: void loop_X(uint32_t n), n >= 1. State is the
 * global `ls` (offsets LS_* in guest.h).
 */
#include "guest.h"

	.code32
	.text

/* Run `body` n times, n = first argument (20(%esp) after four pushes).
 * %ebp is the loop counter; bodies must not touch it. */
.macro DRIVE body
	movl	20(%esp), %ebp
	shrl	$2, %ebp
	jz	8f
7:	\body
	\body
	\body
	\body
	decl	%ebp
	jnz	7b
8:	movl	20(%esp), %ebp
	andl	$3, %ebp
	jz	10f
9:	\body
	decl	%ebp
	jnz	9b
10:
.endm

.macro PROLOGUE name
	.globl \name
	.type \name, @function
	.p2align 4
\name:
	pushl	%ebp
	pushl	%edi
	pushl	%esi
	pushl	%ebx
.endm

.macro EPILOGUE name
	popl	%ebx
	popl	%esi
	popl	%edi
	popl	%ebp
	ret
	.size \name, . - \name
.endm

/* r = next LCG value in %ebx */
.macro LCG
	imull	$LCG_A, %ebx, %ebx
	addl	$LCG_C, %ebx
.endm

/* ---- seqsweep: %ecx ctr, %edi cursor, %ebx stride bytes, %edx end ---- */
.macro SEQ_BODY
	incl	%ecx
	movl	%ecx, (%edi)
	addl	%ebx, %edi
	cmpl	%edx, %edi
	jae	2f
1:
	.pushsection .text.cold, "ax"
2:	movl	ls+LS_BASE, %edi
	incl	ls+LS_PASSES
	jmp	1b
	.popsection
.endm

	PROLOGUE loop_seqsweep
	movl	ls+LS_CTR, %ecx
	movl	ls+LS_CUR, %edi
	movl	ls+LS_STEP, %ebx
	movl	ls+LS_END, %edx
	DRIVE	SEQ_BODY
	movl	%ecx, ls+LS_CTR
	movl	%edi, ls+LS_CUR
	EPILOGUE loop_seqsweep

/* ---- random: %ebx rng, %ecx ctr, %esi pages, %edi base ---- */
.macro RND_BODY
	LCG
	movl	%ebx, %eax
	mull	%esi
	shll	$12, %edx
	incl	%ecx
	movl	%ecx, (%edi,%edx)
.endm

	PROLOGUE loop_random
	movl	ls+LS_RNG, %ebx
	movl	ls+LS_CTR, %ecx
	movl	ls+LS_PAGES, %esi
	movl	ls+LS_BASE, %edi
	DRIVE	RND_BODY
	movl	%ebx, ls+LS_RNG
	movl	%ecx, ls+LS_CTR
	EPILOGUE loop_random

/* ---- random over a window that wraps past the end of the data region:
 * offsets >= room go to (offset - span), i.e. back to the region start ---- */
.macro RNDW_BODY
	LCG
	movl	%ebx, %eax
	mull	%esi
	shll	$12, %edx
	cmpl	ls+LS_ROOM, %edx
	jb	1f
	subl	ls+LS_SPAN, %edx
1:	incl	%ecx
	movl	%ecx, (%edi,%edx)
.endm

	PROLOGUE loop_random_wrap
	movl	ls+LS_RNG, %ebx
	movl	ls+LS_CTR, %ecx
	movl	ls+LS_PAGES, %esi
	movl	ls+LS_BASE, %edi
	DRIVE	RNDW_BODY
	movl	%ebx, ls+LS_RNG
	movl	%ecx, ls+LS_CTR
	EPILOGUE loop_random_wrap

/* ---- hotcold: %ebx rng, %ecx ctr, %esi thr, %edi hot_lo.
 * rng <= thr: hot page hot_lo + mulhi(rng * K, hot) * 4096;
 * else the cold cursor's page, cursor advances skipping the hot set. ---- */
.macro HC_BODY
	LCG
	incl	%ecx
	cmpl	%esi, %ebx
	ja	2f
	imull	$LCG_K, %ebx, %eax
	mull	ls+LS_HOT
	shll	$12, %edx
	movl	%ecx, (%edi,%edx)
1:
	.pushsection .text.cold, "ax"
2:	movl	ls+LS_CUR, %edx
	movl	%ecx, (%edx)
	addl	$4096, %edx
	cmpl	%edi, %edx
	jne	3f
	movl	ls+LS_HOT_HI, %edx
3:	cmpl	ls+LS_END, %edx
	jb	4f
	movl	ls+LS_COLD_WRAP, %edx
	incl	ls+LS_PASSES
4:	movl	%edx, ls+LS_CUR
	jmp	1b
	.popsection
.endm

	PROLOGUE loop_hotcold
	movl	ls+LS_RNG, %ebx
	movl	ls+LS_CTR, %ecx
	movl	ls+LS_THR, %esi
	movl	ls+LS_HOT_LO, %edi
	DRIVE	HC_BODY
	movl	%ebx, ls+LS_RNG
	movl	%ecx, ls+LS_CTR
	EPILOGUE loop_hotcold

/* ---- zipf: %ebx rng, %ecx ctr, %esi bins, %edi scratch.
 * bin = mulhi(rng, bins); address = (lo + mulhi(rng * K, w)) & ~0xfff,
 * lo/w in bytes (20.12 fixed-point pages), lo including the data base. ---- */
.macro ZIPF_RANK
	LCG
	movl	%ebx, %eax
	mull	%esi
	movl	zbins(,%edx,8), %edi
	imull	$LCG_K, %ebx, %eax
	mull	zbins+4(,%edx,8)
	addl	%edi, %edx
	andl	$0xfffff000, %edx
.endm

.macro ZIPF_BODY
	ZIPF_RANK
	incl	%ecx
	movl	%ecx, (%edx)
.endm

	PROLOGUE loop_zipf
	movl	ls+LS_RNG, %ebx
	movl	ls+LS_CTR, %ecx
	movl	ls+LS_PAGES, %esi
	DRIVE	ZIPF_BODY
	movl	%ebx, ls+LS_RNG
	movl	%ecx, ls+LS_CTR
	EPILOGUE loop_zipf

/* Scatter: rank bytes x -> (x * pmul + padd) & pmask, repeated while
 * >= plim (cycle walk of a full-period affine map mod 2^k, in 4 KiB units);
 * here lo excludes the data base, added at the end. */
.macro ZIPFS_BODY
	ZIPF_RANK
1:	imull	ls+LS_PMUL, %edx
	addl	ls+LS_PADD, %edx
	andl	ls+LS_PMASK, %edx
	cmpl	ls+LS_PLIM, %edx
	jae	1b
	addl	ls+LS_BASE, %edx
	incl	%ecx
	movl	%ecx, (%edx)
.endm

	PROLOGUE loop_zipf_scatter
	movl	ls+LS_RNG, %ebx
	movl	ls+LS_CTR, %ecx
	movl	ls+LS_PAGES, %esi
	DRIVE	ZIPFS_BODY
	movl	%ebx, ls+LS_RNG
	movl	%ecx, ls+LS_CTR
	EPILOGUE loop_zipf_scatter

	.section .note.GNU-stack, "", @progbits
