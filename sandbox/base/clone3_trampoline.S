#if !defined(__x86_64__)
#error "clone3_trampoline.S is written for x86-64 only"
#endif
// long sbx_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg)
//
// The child starts on the stack the caller put in args (so the parent's frames are left
// alone), calls fn(arg) and exits with its return value; it never returns here.
// syscall clobbers only rcx and r11, so fn and arg wait in r8 and r9.
        .text
        .globl  sbx_clone3
        .type   sbx_clone3, @function
sbx_clone3:
        .cfi_startproc
        movq    %rdx, %r8
        movq    %rcx, %r9
        movl    $435, %eax          // __NR_clone3
        syscall
        testq   %rax, %rax
        jnz     1f                  // parent (pid) or error (-errno)
        .cfi_undefined rip          // child: no caller frame to unwind into
        xorl    %ebp, %ebp
        movq    %r9, %rdi
        call    *%r8
        movl    %eax, %edi
        movl    $60, %eax           // __NR_exit
        syscall
        hlt
1:      ret
        .cfi_endproc
        .size   sbx_clone3, .-sbx_clone3
        .section .note.GNU-stack,"",@progbits
